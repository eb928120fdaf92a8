// Generated sales records, reproducible from the seed: the same seed gives the same rows (and so the same
// document hash) everywhere, which makes generated reports usable in tests and benchmarks.
import { mulberry32, pick } from '../shared/random';

export interface SalesRow {
  [column: string]: string | number;
  date: string;
  region: string;
  product: string;
  units: number;
  unitPrice: number;
  revenue: number;
}

export const SALES_COLUMNS = ['date', 'region', 'product', 'units', 'unitPrice', 'revenue'] as const;
export const SALES_NUMERIC_COLUMNS: ReadonlySet<string> = new Set(['units', 'unitPrice', 'revenue']);

const REGIONS = ['North', 'South', 'East', 'West', 'Central'] as const;
const PRODUCTS: readonly { name: string; price: number }[] = [
  { name: 'Widget', price: 4.5 },
  { name: 'Gadget', price: 12.0 },
  { name: 'Gizmo', price: 27.9 },
  { name: 'Doohickey', price: 2.25 },
  { name: 'Thingamajig', price: 79.0 },
  { name: 'Sprocket', price: 0.8 },
];
const START = Date.UTC(2024, 0, 1);
const DAY_MS = 86_400_000;

const cents = (x: number) => Math.round(x * 100) / 100;

export function salesGenerator(seed: number): () => SalesRow {
  const random = mulberry32(seed);
  return () => {
    const date = new Date(START + Math.floor(random() * 366) * DAY_MS).toISOString().slice(0, 10);
    const region = pick(random, REGIONS);
    const product = pick(random, PRODUCTS);
    const units = 1 + Math.floor(random() * 50);
    // Prices drift up to 10% either way around the list price, like discounts and surcharges would.
    const unitPrice = cents(product.price * (0.9 + random() * 0.2));
    return { date, region, product: product.name, units, unitPrice, revenue: cents(units * unitPrice) };
  };
}
