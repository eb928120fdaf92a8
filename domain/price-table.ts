// Loads the dated price table from config/ (or SPILLWAY_PRICES_FILE), validated once.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { validatePriceTable, type PriceTable } from './cost-model';

function defaultPath(): string {
  // From source (domain/) and from dist (dist/domain/) alike, config/ sits at the repository root.
  const fromSource = path.resolve(__dirname, '..', 'config', 'prices.json');
  const fromDist = path.resolve(__dirname, '..', '..', 'config', 'prices.json');
  return __dirname.includes(`${path.sep}dist${path.sep}`) ? fromDist : fromSource;
}

let cached: PriceTable | undefined;

export function loadPriceTable(file = process.env.SPILLWAY_PRICES_FILE || defaultPath()): PriceTable {
  if (cached && !process.env.SPILLWAY_PRICES_FILE) return cached;
  cached = validatePriceTable(JSON.parse(readFileSync(file, 'utf8')));
  return cached;
}
