/**
 * Daily bars with uPlot (a small canvas chart library): one series per
 * capability. The figures are also in a table beside it for screen readers.
 */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

const COLOURS = ['#1f5fae', '#c2571a', '#2b8a3e', '#7048a8', '#a61e4d', '#5c6f7c'];

export function DailyBars({ title, dateLabel, days, series }: { title: string; dateLabel: string; days: string[]; series: Array<{ label: string; values: number[] }> }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el || days.length === 0) return;
    // One slot per UTC day, labelled with its date: no time zone of the browser in the way.
    const xs = days.map((_d, i) => i);
    const width = Math.max(280, el.clientWidth);
    // Stacked: each series drawn at the running total up to it, the tallest first so every part stays visible.
    const stacked = series.map((s, i) => ({ label: s.label, colour: COLOURS[i % COLOURS.length]!, values: s.values.map((_v, k) => series.slice(0, i + 1).reduce((sum, x) => sum + (x.values[k] ?? 0), 0)) })).reverse();
    const plot = new uPlot(
      {
        width,
        height: 220,
        scales: { x: { time: false, range: () => [-0.5, days.length - 0.5] } },
        axes: [
          { splits: () => xs, values: (_u, splits) => splits.map((i) => (days[i]?.slice(5) ?? '')), grid: { show: false } },
          { size: 56 },
        ],
        legend: { show: true },
        series: [
          { label: dateLabel, value: (_u, i) => (i === null ? '--' : (days[i] ?? '')) },
          ...stacked.map((s) => ({
            label: s.label,
            stroke: s.colour,
            fill: s.colour,
            width: 1,
            paths: uPlot.paths.bars!({ size: [0.7, 48], align: 0 }),
            points: { show: false },
          })),
        ],
      },
      [xs, ...stacked.map((s) => s.values)],
      el,
    );
    // Follows its box: a phone held sideways, a window made narrower.
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(260, el.clientWidth), height: 220 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [days.join(), JSON.stringify(series), dateLabel]);
  return (
    <figure class="chart">
      <figcaption>{title}</figcaption>
      <div ref={box} role="img" aria-label={title} />
    </figure>
  );
}
