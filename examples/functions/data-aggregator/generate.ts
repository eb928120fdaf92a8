// Generated records: latency-like values (log-normal) spread over a few groups, reproducible from the seed.
import { mulberry32, normal } from '../shared/random';

export interface GeneratedRecord {
  id: number;
  group: string;
  value: number;
}

export function recordGenerator(seed: number, groups: number): () => GeneratedRecord {
  const random = mulberry32(seed);
  const width = String(groups).length;
  let id = 0;
  return () => {
    const g = Math.floor(random() * groups);
    // Each group gets its own median so the per-group figures differ visibly.
    const value = Math.round(Math.exp(3 + g * 0.15 + 0.5 * normal(random)) * 100) / 100;
    id += 1;
    return { id, group: `group-${String(g + 1).padStart(width, '0')}`, value };
  };
}
