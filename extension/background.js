// Entry point of the background (Chrome: service worker; Firefox: event page). See background/main.js.
import { startBackground } from "./background/main.js";

startBackground(globalThis.browser ?? globalThis.chrome);
