// Compiles the stylesheet and copies the browser code CivicDesk serves into the Django apps.
// Run with `npm run build` (or `make frontend`); the results are committed, so running
// CivicDesk never needs Node.js.
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import * as sass from "sass";

const out = "../civicdesk/portal/static/portal";
const staff = "../civicdesk/workspace/static/workspace";

function compile(source, target) {
  const result = sass.compile(source, {
    style: "compressed",
    importers: [new sass.NodePackageImporter()],
    // MoJ Frontend loads GOV.UK Frontend by its path under node_modules.
    loadPaths: ["."],
    quietDeps: true,
    silenceDeprecations: ["import"],
    // MoJ Frontend still calls GOV.UK mixins that GOV.UK Frontend 6 warns about.
    logger: sass.Logger.silent,
  });
  // The crown (GOV.UK's crest) is Crown copyright and never ours to show: drop the one rule
  // that draws it, so the image is neither referenced nor shipped.
  const css = result.css.replace(/[^{}]*\{[^{}]*govuk-crest\.svg[^{}]*\}/g, "");
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, css);
  console.log(`Built ${target} (${css.length} bytes)`);
  return css;
}

compile("scss/civicdesk.scss", `${out}/civicdesk.min.css`);
const staffCss = compile("scss/workspace.scss", `${staff}/workspace.min.css`);
// The MoJ components' icons: copy the ones the stylesheet refers to, and nothing else.
for (const [, name] of staffCss.matchAll(/url\(\/static\/workspace\/moj\/images\/([\w.-]+)\)/g)) {
  mkdirSync(`${staff}/moj/images`, { recursive: true });
  cpSync(`node_modules/@ministryofjustice/frontend/moj/assets/images/${name}`, `${staff}/moj/images/${name}`);
}

const copies = [
  ["node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js", `${out}/govuk-frontend.min.js`],
  ["node_modules/leaflet/dist/leaflet.js", `${out}/leaflet/leaflet.js`],
  ["node_modules/leaflet/dist/leaflet.css", `${out}/leaflet/leaflet.css`],
  ["node_modules/leaflet/LICENSE", `${out}/leaflet/LICENSE`],
  ["node_modules/axe-core/axe.min.js", "../tests/browser/axe.min.js"],
  ["node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js", `${staff}/govuk-frontend.min.js`],
  ["node_modules/@ministryofjustice/frontend/moj/moj-frontend.min.js", `${staff}/moj-frontend.min.js`],
];
// Source maps are not shipped, so the references to them are removed: the static files
// manifest would otherwise refuse to build.
for (const [from, to] of copies) {
  mkdirSync(dirname(to), { recursive: true });
  const text = readFileSync(from, "utf8").replace(/\n?\/[/*]# sourceMappingURL=\S+( \*\/)?\s*$/, "\n");
  writeFileSync(to, text);
}
cpSync("node_modules/leaflet/dist/images", `${out}/leaflet/images`, { recursive: true });
