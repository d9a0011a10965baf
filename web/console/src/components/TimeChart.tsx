// A uPlot time chart as a React component: as wide as its container (it follows resizes), coloured from Mantine's
// CSS variables (so light and dark follow the color scheme), with uPlot's legend showing the time and values under
// the cursor. The canvas is an image to assistive technology: callers offer the points as a table beside it.
import { useComputedColorScheme } from "@mantine/core";
import dayjs from "dayjs";
import { useEffect, useRef } from "react";
import uPlot from "uplot";

/** One line; `undefined` where the series has no point at that time (the line goes on), `null` where it ends. */
export interface ChartSeries {
  label: string;
  values: (number | null | undefined)[];
  /** The lowest and highest value per time, drawn as a band around the line (for buckets). */
  band?: { min: (number | null | undefined)[]; max: (number | null | undefined)[] };
}

export interface TimeChartProps {
  /** Seconds since the Unix epoch, ascending; one per value of every series. */
  times: number[];
  series: ChartSeries[];
  /** The time axis' span in seconds (the range asked for); the data's own span without it. */
  range?: [number, number];
  ariaLabel: string;
  height?: number;
}

const PALETTE = ["blue", "orange", "grape", "teal", "red", "cyan", "lime", "pink"];

export function TimeChart({ times, series, range, ariaLabel, height = 260 }: TimeChartProps) {
  const container = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | null>(null);
  const scheme = useComputedColorScheme("light");
  // The chart is rebuilt when its shape or colours change; new data alone only replaces the data.
  const shape = JSON.stringify([scheme, height, series.map((entry) => [entry.label, entry.band !== undefined])]);

  useEffect(() => {
    const element = container.current;
    if (!element) return;
    const plot = new uPlot(options(element, series, height), chartData(times, series), element);
    if (range) plot.setScale("x", { min: range[0], max: range[1] });
    chart.current = plot;
    const observer = new ResizeObserver(() => plot.setSize({ width: element.clientWidth, height }));
    observer.observe(element);
    return () => {
      observer.disconnect();
      plot.destroy();
      chart.current = null;
    };
    // times/series are read at creation only; later changes go through setData below.
  }, [shape]);

  const [start, end] = range ?? [];
  useEffect(() => {
    const plot = chart.current;
    if (!plot) return;
    plot.setData(chartData(times, series));
    if (start !== undefined && end !== undefined) plot.setScale("x", { min: start, max: end });
  }, [times, series, start, end]);

  return <div ref={container} role="img" aria-label={ariaLabel} style={{ width: "100%", minWidth: 0 }} />;
}

function chartData(times: number[], series: ChartSeries[]): uPlot.AlignedData {
  const columns: (number | null | undefined)[][] = [];
  for (const entry of series) {
    columns.push(entry.values);
    if (entry.band) columns.push(entry.band.min, entry.band.max);
  }
  return [times, ...columns] as uPlot.AlignedData;
}

function options(element: HTMLElement, series: ChartSeries[], height: number): uPlot.Options {
  const text = cssColor(element, "var(--mantine-color-text)");
  const grid = cssColor(element, "var(--mantine-color-default-border)");
  const axis = { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
  const lines: uPlot.Series[] = [{ label: "Time", value: (_, time) => (time === null ? "--" : formatTime(time)) }];
  const bands: uPlot.Band[] = [];
  series.forEach((entry, index) => {
    const stroke = cssColor(element, `var(--mantine-color-${PALETTE[index % PALETTE.length]}-filled)`);
    lines.push({ label: entry.label, stroke, width: 2, spanGaps: false, points: { show: true, size: 4 } });
    if (entry.band) {
      const line = lines.length - 1;
      const faint = withAlpha(stroke, 0.15);
      lines.push({ label: `${entry.label} min`, stroke: faint, width: 1, points: { show: false } });
      lines.push({ label: `${entry.label} max`, stroke: faint, width: 1, points: { show: false } });
      bands.push({ series: [line + 2, line + 1], fill: faint });
    }
  });
  return {
    width: Math.max(element.clientWidth, 1),
    height,
    series: lines,
    bands,
    axes: [axis, { ...axis, size: 60 }],
    scales: { x: { time: true } },
    cursor: { drag: { x: true, y: false } },
    legend: { live: true },
  };
}

function formatTime(seconds: number): string {
  return dayjs(seconds * 1000).format("YYYY-MM-DD HH:mm:ss");
}

/** A CSS colour expression (e.g. a Mantine variable) as the rgb() the canvas needs, resolved inside `element`. */
function cssColor(element: HTMLElement, expression: string): string {
  const probe = document.createElement("span");
  probe.style.color = expression;
  probe.style.display = "none";
  element.appendChild(probe);
  const color = getComputedStyle(probe).color;
  probe.remove();
  return color;
}

function withAlpha(rgb: string, alpha: number): string {
  const match = /rgba?\((\d+),\s*(\d+),\s*(\d+)/.exec(rgb);
  return match ? `rgba(${match[1]}, ${match[2]}, ${match[3]}, ${alpha})` : rgb;
}
