// The uPlot time-series charts. Colours come from CSS variables, so a theme change rebuilds the charts.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { h } from './dom';

export interface SeriesSpec {
  label: string;
  /** A CSS custom property holding the colour, e.g. --local. */
  color: string;
  dash?: number[];
  fill?: boolean;
}

export interface ChartSpec {
  series: SeriesSpec[];
  formatY: (v: number | null) => string;
  /** Smallest top of the y scale, so an idle chart does not magnify noise. */
  minMax?: number;
}

const HEIGHT = 190;

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}

function withAlpha(color: string, alpha: number): string {
  const hex = /^#([0-9a-f]{6})$/i.exec(color);
  if (!hex?.[1]) return color;
  const n = parseInt(hex[1], 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

const hhmm = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const hhmmss = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });

function clock(seconds: number): string {
  const d = new Date(seconds * 1000);
  return d.getSeconds() ? hhmmss.format(d) : hhmm.format(d);
}

function isolatedPoints(u: uPlot, seriesIdx: number): number[] | null {
  const values = u.data[seriesIdx] ?? [];
  const lone: number[] = [];
  for (let i = 0; i < values.length; i++) {
    if (values[i] == null) continue;
    if (values[i - 1] == null && values[i + 1] == null) lone.push(i);
  }
  return lone;
}

function lastValue(values: ArrayLike<number | null | undefined> | undefined): number | null {
  if (!values) return null;
  for (let i = values.length - 1; i >= 0; i--) {
    const v = values[i];
    if (typeof v === 'number') return v;
  }
  return null;
}

export class TimeChart {
  private plot: uPlot | null = null;
  private data: uPlot.AlignedData = [[]];
  private readonly host: HTMLDivElement;
  private readonly empty: HTMLParagraphElement;

  constructor(
    private readonly container: HTMLElement,
    private readonly spec: ChartSpec,
  ) {
    this.host = h('div', { class: 'chart-host' });
    this.empty = h('p', { class: 'chart-empty' }, 'Waiting for data…');
    container.append(this.host, this.empty);
    this.data = [[], ...spec.series.map(() => [])];
    new ResizeObserver(() => this.resize()).observe(container);
  }

  setEmptyMessage(message: string | null): void {
    this.empty.textContent = message ?? '';
    this.empty.hidden = message === null;
  }

  update(x: number[], ys: (number | null)[][]): void {
    this.data = [x, ...ys] as uPlot.AlignedData;
    if (!this.plot) this.build();
    else this.plot.setData(this.data);
  }

  rebuild(): void {
    if (!this.plot) return;
    this.plot.destroy();
    this.plot = null;
    this.build();
  }

  private width(): number {
    return Math.max(200, Math.floor(this.container.clientWidth));
  }

  private resize(): void {
    this.plot?.setSize({ width: this.width(), height: HEIGHT });
  }

  private build(): void {
    const text = cssVar('--muted');
    const grid = cssVar('--grid');
    const axis: uPlot.Axis = {
      stroke: text,
      grid: { stroke: grid, width: 1 },
      ticks: { stroke: grid, width: 1, size: 4 },
      font: '11px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
    };
    const { formatY, minMax = 1 } = this.spec;
    const opts: uPlot.Options = {
      width: this.width(),
      height: HEIGHT,
      padding: [8, 8, 0, 0],
      cursor: { drag: { x: false, y: false }, points: { size: 6 } },
      legend: { live: true },
      scales: {
        x: { time: true },
        y: { range: (_u, _min, max) => [0, Math.max(minMax, max * 1.15)] },
      },
      axes: [
        {
          ...axis,
          space: 64,
          incrs: [10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400],
          values: (_u, splits) => splits.map((v) => clock(v)),
        },
        { ...axis, size: 52, values: (_u, splits) => splits.map((v) => formatY(v)) },
      ],
      series: [
        {},
        ...this.spec.series.map((s): uPlot.Series => {
          const stroke = cssVar(s.color);
          return {
            label: s.label,
            stroke,
            width: 2,
            dash: s.dash,
            fill: s.fill ? withAlpha(stroke, 0.12) : undefined,
            // Lines only; a lone value between gaps gets a dot, or it would not show at all.
            points: { show: true, size: 6, filter: isolatedPoints },
            spanGaps: false,
            // Away from the cursor the legend shows the newest value instead of a dash.
            value: (u, v, sidx, idx) => formatY(idx === null ? lastValue(u.data[sidx]) : v),
          };
        }),
      ],
    };
    this.plot = new uPlot(opts, this.data, this.host);
  }
}
