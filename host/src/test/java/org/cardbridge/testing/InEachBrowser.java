package org.cardbridge.testing;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.ArgumentsProvider;
import org.junit.jupiter.params.provider.ArgumentsSource;
import org.junit.jupiter.params.support.ParameterDeclarations;

import java.lang.annotation.ElementType;
import java.lang.annotation.Repeatable;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.util.Arrays;
import java.util.stream.Stream;

/**
 * A browser test run once in each {@link Browser.Kind} (its parameter): {@code [chromium]} and
 * {@code [firefox]} in the report. A test that cannot run in one browser says so with {@link NotIn}
 * and the reason; it then runs in the others only. A browser that is missing fails under {@code CI=true}
 * ({@link Browser.Kind#requireInstalled()}), so nothing is skipped silently.
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@ParameterizedTest(name = "{0}")
@ArgumentsSource(InEachBrowser.Kinds.class)
public @interface InEachBrowser {

    /** This test (or class) does not run in {@link #value()}, {@link #because()}: the reason, in the code. */
    @Target({ElementType.METHOD, ElementType.TYPE})
    @Retention(RetentionPolicy.RUNTIME)
    @Repeatable(NotInAll.class)
    @interface NotIn {
        Browser.Kind value();

        String because();
    }

    @Target({ElementType.METHOD, ElementType.TYPE})
    @Retention(RetentionPolicy.RUNTIME)
    @interface NotInAll {
        NotIn[] value();
    }

    /**
     * Every browser kind but those the test method (or, for a {@code @ParameterizedClass}, the class)
     * excludes with {@link NotIn}.
     */
    final class Kinds implements ArgumentsProvider {
        @Override
        public Stream<? extends Arguments> provideArguments(ParameterDeclarations parameters, ExtensionContext context) {
            NotIn[] excluded = context.getTestMethod().map(m -> m.getAnnotationsByType(NotIn.class))
                    .orElseGet(() -> context.getRequiredTestClass().getAnnotationsByType(NotIn.class));
            return Arrays.stream(Browser.Kind.values())
                    .filter(k -> Arrays.stream(excluded).noneMatch(n -> n.value() == k))
                    .map(Arguments::of);
        }
    }
}
