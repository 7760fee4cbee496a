// The request rate (a trailing one-second window, as the limiter counts) against the run's limit, with the 429s, drawn by uPlot (bundled, not fetched).
import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

export default function RateChart({ chart }) {
  const box = useRef(null);
  useEffect(() => {
    const hasQuota = chart.quota.some((q) => q !== null);
    const series = [
      { label: "second" },
      { label: "requests / s", stroke: "#2563eb", fill: "rgba(37,99,235,0.15)", width: 2, points: { show: false } },
      { label: "limit / s", stroke: "#111827", dash: [6, 4], width: 1.5, points: { show: false } },
      { label: "429s", stroke: "#dc2626", fill: "rgba(220,38,38,0.35)",
        paths: uPlot.paths.bars({ size: [0.5, 40] }), points: { show: false } },
    ];
    const data = [chart.t, chart.rate, chart.limit, chart.rate_limited.map((n) => n || null)]; // no bar where none
    const axes = [{ label: "seconds since the run started" }, { label: "requests a second" }];
    if (hasQuota) {
      series.push({ label: "quota left", stroke: "#059669", scale: "quota", width: 1.5, spanGaps: true, points: { show: false } });
      data.push(chart.quota);
      axes.push({ label: "quota left", scale: "quota", side: 1, grid: { show: false } });
    }
    const plot = new uPlot(
      { width: Math.min(box.current.clientWidth || 900, 1100), height: 300, series, axes,
        scales: { x: { time: false } } },
      data,
      box.current,
    );
    return () => plot.destroy();
  }, [chart]);
  return (
    <figure className="chart">
      <div ref={box} data-testid="rate-chart" />
      <figcaption className="muted">
        Requests sent in the trailing {chart.window_seconds} s, per second, every {chart.step_seconds} s; the dashed
        line is the run's limit; red bars are 429 answers.
      </figcaption>
    </figure>
  );
}
