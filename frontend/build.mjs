// Compiles the stylesheet and copies the browser code CivicDesk serves into the Django apps.
// Run with `npm run build` (or `make frontend`); the results are committed, so running
// CivicDesk never needs Node.js.
import { cpSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import * as sass from "sass";

const out = "../civicdesk/portal/static/portal";
const result = sass.compile("scss/civicdesk.scss", {
  style: "compressed",
  importers: [new sass.NodePackageImporter()],
  quietDeps: true,
  silenceDeprecations: ["import"],
});
mkdirSync(out, { recursive: true });
writeFileSync(`${out}/civicdesk.min.css`, result.css);

const copies = [
  ["node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js", `${out}/govuk-frontend.min.js`],
  ["node_modules/leaflet/dist/leaflet.js", `${out}/leaflet/leaflet.js`],
  ["node_modules/leaflet/dist/leaflet.css", `${out}/leaflet/leaflet.css`],
  ["node_modules/leaflet/LICENSE", `${out}/leaflet/LICENSE`],
  ["node_modules/axe-core/axe.min.js", "../tests/browser/axe.min.js"],
];
for (const [from, to] of copies) {
  mkdirSync(dirname(to), { recursive: true });
  cpSync(from, to);
}
console.log(`Built ${out}/civicdesk.min.css (${result.css.length} bytes)`);
