// Vendors uPlot into the streams-app's classpath, next to the page (index.html, app.js, app.css, edited
// there in place), where the application's HTTP server serves them: nothing is fetched at run time.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', 'streams-app', 'src', 'main', 'resources', 'dashboard');
const uplot = join(here, 'node_modules', 'uplot');

mkdirSync(out, { recursive: true });

// The minified build keeps only a link as its banner; MIT asks for the notice to travel with it.
const version = JSON.parse(readFileSync(join(uplot, 'package.json'), 'utf8')).version;
const license = readFileSync(join(uplot, 'LICENSE'), 'utf8').trim();
const notice = `/*! uPlot ${version}\n${license}\n*/\n`;
writeFileSync(join(out, 'uplot.iife.min.js'), notice + readFileSync(join(uplot, 'dist', 'uPlot.iife.min.js'), 'utf8'));
writeFileSync(join(out, 'uplot.min.css'), notice + readFileSync(join(uplot, 'dist', 'uPlot.min.css'), 'utf8'));

console.log(`dashboard: wrote uplot.iife.min.js, uplot.min.css (uPlot ${version}) to ${out}`);
