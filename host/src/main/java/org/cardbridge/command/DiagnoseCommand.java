package org.cardbridge.command;

import org.cardbridge.install.DoctorTexts;
import org.cardbridge.install.Finding;
import org.cardbridge.install.Roots;
import org.cardbridge.install.SystemChecks;
import org.cardbridge.platform.Os;
import org.cardbridge.policy.OperationClass;
import org.cardbridge.protocol.Params;
import org.cardbridge.token.AtrModuleMap;

import java.util.List;

/**
 * {@code diagnose}: what {@code doctor} says about the card reader service (pcscd and its readers), in the
 * request's language, so the extension's popup can tell a person who sees no reader why, in plain words,
 * instead of sending them to a terminal. Reads only reader names; for the extension's own pages only,
 * like {@code renewalPages}. The PKCS#11 modules are not probed here: the host's own token manager
 * already answers {@code listTokens} with {@code MODULE_NOT_FOUND} and what it tried. A card whose vendor
 * module is missing is named, with the product to install (its ATR is read, nothing is sent to it).
 */
public final class DiagnoseCommand implements Command<Void, DiagnoseCommand.Result> {
    public record Result(List<Finding> findings) {
    }

    @Override
    public OperationClass operationClass() {
        return OperationClass.EXTENSION;
    }

    @Override
    public Void parse(Params params) {
        return null;
    }

    @Override
    public Result execute(Void args, CommandContext context) {
        SystemChecks checks = new SystemChecks(Roots.real(), Os.current(), new DoctorTexts(context.lang()));
        // The policy's atrModules too, so the popup names the same product as MODULE_NOT_INSTALLED.
        return new Result(checks.pcsc(AtrModuleMap.load(Os.current()).with(context.policy().atrModules())));
    }
}
