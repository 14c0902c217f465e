// Compiles the stylesheet and copies the browser code CivicDesk serves into the Django apps.
// Run with `npm run build` (or `make frontend`); the results are committed, so running
// CivicDesk never needs Node.js.
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import * as sass from "sass";

const out = "../civicdesk/portal/static/portal";
const result = sass.compile("scss/civicdesk.scss", {
  style: "compressed",
  importers: [new sass.NodePackageImporter()],
  quietDeps: true,
  silenceDeprecations: ["import"],
});
// The crown (GOV.UK's crest) is Crown copyright and never ours to show: drop the one rule that
// draws it, so the image is neither referenced nor shipped.
const css = result.css.replace(/[^{}]*\{[^{}]*govuk-crest\.svg[^{}]*\}/g, "");
mkdirSync(out, { recursive: true });
writeFileSync(`${out}/civicdesk.min.css`, css);

const copies = [
  ["node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js", `${out}/govuk-frontend.min.js`],
  ["node_modules/leaflet/dist/leaflet.js", `${out}/leaflet/leaflet.js`],
  ["node_modules/leaflet/dist/leaflet.css", `${out}/leaflet/leaflet.css`],
  ["node_modules/leaflet/LICENSE", `${out}/leaflet/LICENSE`],
  ["node_modules/axe-core/axe.min.js", "../tests/browser/axe.min.js"],
];
// Source maps are not shipped, so the references to them are removed: the static files
// manifest would otherwise refuse to build.
for (const [from, to] of copies) {
  mkdirSync(dirname(to), { recursive: true });
  const text = readFileSync(from, "utf8").replace(/\n?\/[/*]# sourceMappingURL=\S+( \*\/)?\s*$/, "\n");
  writeFileSync(to, text);
}
cpSync("node_modules/leaflet/dist/images", `${out}/leaflet/images`, { recursive: true });
console.log(`Built ${out}/civicdesk.min.css (${css.length} bytes)`);
