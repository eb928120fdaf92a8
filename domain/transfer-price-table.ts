// Loads the inter-region transfer prices from config/transfer-prices.json (or SPILLWAY_TRANSFER_PRICES_FILE,
// placement.transferPricesFile in the config), validated once; without a file, AWS's default inter-region price.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_TRANSFER_PRICES, validateTransferPrices, type TransferPrices } from './region-model';

function defaultPath(): string {
  // From source (domain/) and from dist (dist/domain/) alike, config/ sits at the repository root.
  const fromSource = path.resolve(__dirname, '..', 'config', 'transfer-prices.json');
  const fromDist = path.resolve(__dirname, '..', '..', 'config', 'transfer-prices.json');
  return __dirname.includes(`${path.sep}dist${path.sep}`) ? fromDist : fromSource;
}

export function loadTransferPrices(file?: string): TransferPrices {
  const chosen = file ?? defaultPath();
  if (!file && !existsSync(chosen)) return DEFAULT_TRANSFER_PRICES;
  return validateTransferPrices(JSON.parse(readFileSync(chosen, 'utf8')), chosen);
}
