#!/usr/bin/python3
# Starts a native-messaging host the way the services that sandboxed browsers use start it, with the same
# GLib calls, arguments, manifest search and checks (GLib through PyGObject: Debian's python3-gi), then
# relays the host's stdin/stdout/stderr to its own, as the browser does with the pipes it is handed.
# The test copies this file under the service's own executable name (xdg-desktop-portal,
# xdg-native-messaging-proxy), so the host's parent has the name it has on a user's machine.
#
# usage: <name> KIND MODE HOST_NAME EXTENSION_OR_ORIGIN
#   KIND portal       Ubuntu's WebExtensions portal, ubuntu/xdg-desktop-portal branch nmp-1.18-backport
#                     (0807029b5319ddf897a6dba9c198999d74fd88f6), src/web-extensions.c:
#                     get_manifest_search_path (lines 322-392), find_messaging_host (394-490),
#                     handle_start_in_thread: argv (647-664), g_spawn_async_with_pipes (665-676).
#        portal-2023  the same portal before commit b6febbc (7 Nov 2023) added the arguments, at
#                     2d10f539e7f6b050e6c3de62b884694469cdad8b: one search path for both families
#                     (get_manifest_search_path, lines 263-298), find_server (302-374: allowed_extensions
#                     OR allowed_origins, 357-358),
#                     argv = {server_path, NULL} (442, 526), g_spawn_async_with_pipes (527-537).
#        xnmp         flatpak/xdg-native-messaging-proxy 0.1.0 (4aaa0c494ffa956b52bafb4fef36f35c2f2a7424),
#                     src/xnmp-impl.c: ensure_manifest_search_paths (563-616), find_manifest and
#                     is_valid_manifest (188-313: no allowed_* check), xnmp_impl_handle_start: argv
#                     (479-489), g_subprocess_newv with three pipes (341-377).
#   MODE mozilla | chromium (the option the browser passes; both services default to mozilla). Firefox's
#        portal client (mozilla/gecko-dev 390455a8cc05875e304392ba0842df4f9758e59b,
#        toolkit/components/extensions/NativeMessagingPortal.cpp) passes no mode — CreateSession gets only
#        session_handle_token (MaybeDelayedCreateSession) — then Start(session, host name, add-on id) and
#        GetPipes, whose three descriptors become the host's stdin, stdout and stderr for it (OnGetPipesDone).
# Prints "argv: <json>" to stderr before the host's own stderr.
import json
import os
import sys
import threading

import gi

gi.require_version("Gio", "2.0")
from gi.repository import Gio, GLib  # noqa: E402

kind, mode, name, ext = sys.argv[1:5]
home = GLib.get_home_dir()
config = GLib.get_user_config_dir()
# LIBDIR and SYSCONFDIR as Ubuntu's amd64 packages configure them.
LIBDIR, SYSCONFDIR = "/usr/lib/x86_64-linux-gnu", "/etc"

if kind == "portal-2023":
    env_path = os.environ.get("XDG_DESKTOP_PORTAL_WEB_EXTENSIONS_PATH")
    search = env_path.split(":") if env_path is not None else [
        os.path.join(home, ".mozilla", "native-messaging-hosts"),
        os.path.join(config, "google-chrome", "NativeMessagingHosts"),
        os.path.join(config, "chromium", "NativeMessagingHosts"),
        "/usr/lib/mozilla/native-messaging-hosts", "/usr/lib64/mozilla/native-messaging-hosts",
        "/etc/opt/chrome/native-messaging-hosts", "/etc/chromium/native-messaging-hosts",
        LIBDIR + "mozilla/native-messaging-hosts", SYSCONFDIR + "opt/chrome/native-messaging-hosts",
        SYSCONFDIR + "chromium/native-messaging-hosts"]
else:
    env_path = os.environ.get("XDG_DESKTOP_PORTAL_WEB_EXTENSIONS_PATH" if kind == "portal" else "XNMP_HOST_LOCATIONS")
    if env_path is not None:
        search = env_path.split(":")
    elif mode == "chromium":
        search = [os.path.join(config, "google-chrome", "NativeMessagingHosts"),
                  os.path.join(config, "chromium", "NativeMessagingHosts"),
                  "/etc/opt/chrome/native-messaging-hosts", "/etc/chromium/native-messaging-hosts",
                  SYSCONFDIR + "/opt/chrome/native-messaging-hosts", SYSCONFDIR + "/chromium/native-messaging-hosts"]
    else:
        search = [os.path.join(home, ".mozilla", "native-messaging-hosts"),
                  os.path.join(config, "mozilla", "native-messaging-hosts"),
                  "/usr/lib/mozilla/native-messaging-hosts", "/usr/lib64/mozilla/native-messaging-hosts",
                  LIBDIR + "/mozilla/native-messaging-hosts"]


def find():
    for d in search:
        f = os.path.join(d, name + ".json")
        if not os.path.exists(f):
            continue
        m = json.load(open(f))
        if m.get("name") != name or m.get("type") != "stdio":
            continue
        if kind == "portal-2023":
            if ext not in m.get("allowed_extensions", []) and ext not in m.get("allowed_origins", []):
                continue
        elif kind == "portal":
            if ext not in m.get("allowed_origins" if mode == "chromium" else "allowed_extensions", []):
                continue
        if not os.path.isabs(m.get("path", "")):
            sys.exit("native messaging host path is not absolute: " + f)
        return f, m["path"]
    sys.exit("could not find native messaging host " + name + " in " + ":".join(search))


manifest, path = find()
if kind == "portal-2023":
    argv = [path]
elif mode == "chromium":
    argv = [path, ext]
else:
    argv = [path, manifest, ext]
sys.stderr.write("argv: " + json.dumps(argv) + "\n")
sys.stderr.flush()

if kind == "xnmp":
    p = Gio.Subprocess.new(argv, Gio.SubprocessFlags.STDIN_PIPE | Gio.SubprocessFlags.STDOUT_PIPE
                           | Gio.SubprocessFlags.STDERR_PIPE)
    child_in, child_out, child_err = (p.get_stdin_pipe().get_fd(), p.get_stdout_pipe().get_fd(),
                                      p.get_stderr_pipe().get_fd())
else:
    ok, pid, child_in, child_out, child_err = GLib.spawn_async_with_pipes(
        None, argv, None, GLib.SpawnFlags.DO_NOT_REAP_CHILD, None, None)


def pump(src, dst, close_dst):
    while True:
        chunk = os.read(src, 65536)
        if not chunk:
            break
        os.write(dst, chunk)
    if close_dst:
        os.close(dst)


threading.Thread(target=pump, args=(0, child_in, True), daemon=True).start()
err = threading.Thread(target=pump, args=(child_err, 2, False))
err.start()
pump(child_out, 1, False)
err.join()
if kind == "xnmp":
    p.wait()
    sys.exit(p.get_exit_status() if p.get_if_exited() else 1)
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status))
