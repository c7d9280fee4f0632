package org.cardbridge.testing;

import org.cardbridge.protocol.ErrorCode;
import org.cardbridge.protocol.HostException;
import org.cardbridge.protocol.Lang;
import org.cardbridge.ui.UserInterface;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Records every window the host asks of its {@link UserInterface}, whatever the method (a proxy: windows
 * added to the interface later are counted too), with the language it was asked in. Each window is then
 * answered by {@code answering}, or, without one, as if the person closed it (USER_CANCELLED): a test
 * that expects no window gets a different error code when one appears, and the record says which.
 */
public final class WindowLog {
    /** One window: the interface method that opened it and the language it was asked in (null: none given). */
    public record Window(String method, Lang lang) {
    }

    private final List<Window> windows = new ArrayList<>();
    private final UserInterface ui;

    /** Every window is closed by the person. */
    public WindowLog() {
        this(null);
    }

    /** Every window is answered by {@code answering} (e.g. a {@link ScriptedUserInterface}). */
    public WindowLog(UserInterface answering) {
        this.ui = (UserInterface) Proxy.newProxyInstance(UserInterface.class.getClassLoader(), new Class<?>[]{UserInterface.class},
                (proxy, method, args) -> {
                    if (method.getDeclaringClass() == Object.class) {
                        return objectMethod(proxy, method, args);
                    }
                    Lang lang = null;
                    for (Object a : args == null ? new Object[0] : args) {
                        if (a instanceof Lang l) {
                            lang = l;
                        }
                    }
                    synchronized (windows) {
                        windows.add(new Window(method.getName(), lang));
                    }
                    if (answering == null) {
                        throw new HostException(ErrorCode.USER_CANCELLED, "a window was opened: " + method.getName() + " (WindowLog)",
                                Map.of("dialog", method.getName()));
                    }
                    try {
                        return method.invoke(answering, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    private static Object objectMethod(Object proxy, Method method, Object[] args) {
        return switch (method.getName()) {
            case "equals" -> proxy == args[0];
            case "hashCode" -> System.identityHashCode(proxy);
            default -> "WindowLog";
        };
    }

    /** The user interface to give the host. */
    public UserInterface ui() {
        return ui;
    }

    /** The windows opened so far, in order. */
    public List<Window> windows() {
        synchronized (windows) {
            return List.copyOf(windows);
        }
    }

    /** Forgets the windows opened so far (e.g. those of a test's set-up). */
    public void clear() {
        synchronized (windows) {
            windows.clear();
        }
    }
}
