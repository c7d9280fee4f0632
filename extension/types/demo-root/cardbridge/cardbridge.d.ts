// The page API as the demo's pages import it ("./cardbridge/cardbridge.js": the demo serves extension/api
// there, as a CA serves its copy). tsconfig.demo.json maps that folder here through rootDirs, so the demo's
// page code is checked against the published typings, api/cardbridge.d.ts.
export * from "../../../api/cardbridge.js";
