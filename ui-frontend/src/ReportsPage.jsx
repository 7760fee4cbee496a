// Sync reports: the runs found under the server's --runs folder, and one run's report from its own files.
import { useEffect, useState } from "react";
import { getJson } from "./api.js";
import RateChart from "./RateChart.jsx";

const REFRESH_MS = 3000;

export default function ReportsPage({ arg }) {
  const [runs, setRuns] = useState(null);
  const [report, setReport] = useState(null);
  const [error, setError] = useState("");

  useEffect(() => {
    getJson("/api/runs").then(setRuns, (e) => setError(e.message));
  }, []);
  const selected = arg ? decodeURIComponent(arg) : runs && runs.runs.length ? runs.runs[0].id : null;
  useEffect(() => {
    if (!selected) return;
    setReport(null);
    getJson(`/api/run?id=${encodeURIComponent(selected)}`).then(setReport, (e) => setError(e.message));
  }, [selected]);
  useEffect(() => {
    // A run still going (its log has no end line yet) is read again every few seconds.
    if (!report || report.finished || report.id !== selected) return undefined;
    const timer = setTimeout(() => {
      getJson(`/api/run?id=${encodeURIComponent(selected)}`).then(setReport, (e) => setError(e.message));
    }, REFRESH_MS);
    return () => clearTimeout(timer);
  }, [report, selected]);

  if (error) return <p className="error" role="alert">{error}</p>;
  if (!runs) return <p>Looking for runs…</p>;
  if (!runs.runs.length) {
    return (
      <section>
        <h1>Sync reports</h1>
        <p className="lead">
          No run under <code>{runs.folder}</code> yet. A run folder holds a request log: run <code>read</code> or{" "}
          <code>write</code> with <code>--request-log RUN/requests.jsonl</code> and its state, output, journal and
          rejects in the same folder.
        </p>
      </section>
    );
  }
  return (
    <section>
      <h1>Sync reports</h1>
      <nav className="runs">
        {runs.runs.map((r) => (
          <a key={r.id} href={`#/reports/${encodeURIComponent(r.id)}`} className={r.id === selected ? "active" : ""}>
            {r.verb} · {r.id} <span className="muted">{r.started_at}</span>
          </a>
        ))}
      </nav>
      {report ? <Report report={report} /> : <p>Reading the run…</p>}
    </section>
  );
}

function Report({ report }) {
  const isWrite = report.verb === "write" || "rejects" in report;
  return (
    <div className="report" data-testid="report">
      <h2>
        {report.verb} run <code>{report.id}</code>
      </h2>
      <dl className="facts">
        <Fact label="started" value={report.started_at} />
        <Fact label="duration" value={report.duration_seconds === null ? "—" : `${report.duration_seconds} s`} />
        <Fact label="ended" value={report.finished ? `exit ${report.exit_code}` : "not yet (no end line): refreshing"} />
        <Fact label="requests" value={report.requests} />
        <Fact label="limit" value={report.requests_per_second ? `${report.requests_per_second} / s` : "—"} />
        <Fact label="429s" value={report.rate_limited} testid="rate-limited" />
        <Fact label="network errors" value={report.network_errors} />
        <Fact label="quota left" value={quotaText(report)} testid="quota" />
      </dl>
      <p className="muted" data-testid="statuses">
        answers: {Object.entries(report.statuses).map(([status, n]) => `${status === "None" ? "no answer" : status} ×${n}`).join(", ") || "none"}
      </p>
      <h3>Request rate against the limit</h3>
      <RateChart chart={report.chart} />
      <h3>Per resource</h3>
      <table className="per-resource" data-testid="per-resource">
        <thead>
          <tr>
            <th>resource</th>
            {isWrite ? <th>mode</th> : null}
            <th>records</th>
            {isWrite ? <th>outcomes</th> : <th>cursor</th>}
            <th>requests</th><th>429s</th><th>duration</th>
          </tr>
        </thead>
        <tbody>
          {report.resources.map((r) => (
            <tr key={r.name}>
              <td><code>{r.name}</code>{r.unfinished && <span className="tag warn">unfinished</span>}</td>
              {isWrite ? <td>{r.mode}</td> : null}
              <td className="num">{r.records ?? "—"}</td>
              {isWrite ? (
                <td>{Object.entries(r.outcomes).map(([k, v]) => <span key={k} className="cap">{k} {v}</span>)}</td>
              ) : (
                <td><code>{r.cursor || "—"}</code></td>
              )}
              <td className="num">{r.requests}</td>
              <td className="num">{r.rate_limited}</td>
              <td className="num">{r.duration_seconds === null ? "—" : `${r.duration_seconds} s`}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {isWrite && <Rejects rows={report.rejects} total={report.rejects_total} />}
      <h3>Read from</h3>
      <ul className="files muted" data-testid="files">
        <li>request log <code>{report.files.request_log}</code></li>
        {report.files.state && <li>state <code>{report.files.state}</code></li>}
        {report.files.journals.map((f) => <li key={f}>journal <code>{f}</code></li>)}
        {report.files.results.map((f) => <li key={f}>results <code>{f}</code></li>)}
        {report.files.rejects.map((f) => <li key={f}>rejects <code>{f}</code></li>)}
        {report.files.records.length > 0 && <li>records: {report.files.records.length} files under <code>{report.folder}</code></li>}
      </ul>
    </div>
  );
}

function Rejects({ rows, total }) {
  return (
    <>
      <h3>Rejects ({total})</h3>
      {total === 0 ? (
        <p>None: every record was confirmed.</p>
      ) : (
        <table className="rejects" data-testid="rejects">
          <thead>
            <tr><th>resource</th><th>input line</th><th>reason</th><th>status</th><th>message</th></tr>
          </thead>
          <tbody>
            {rows.map((r, i) => (
              <tr key={i}>
                <td><code>{r.resource}</code></td><td className="num">{r.line}</td><td>{r.category}</td>
                <td className="num">{r.status ?? "—"}</td><td>{r.message}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {total > rows.length && <p className="muted">the first {rows.length} of {total} are shown</p>}
    </>
  );
}

function Fact({ label, value, testid }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd data-testid={testid}>{value ?? "—"}</dd>
    </div>
  );
}

function quotaText(report) {
  if (report.quota_remaining === null || report.quota_remaining === undefined) return "not reported";
  return report.daily_quota ? `${report.quota_remaining} of ${report.daily_quota}` : `${report.quota_remaining}`;
}
