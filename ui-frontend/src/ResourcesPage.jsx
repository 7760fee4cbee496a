// The resource browser: `discover` as a table, and a sample read (20 records) of one resource as a table.
import { useEffect, useState } from "react";
import { getJson } from "./api.js";

export default function ResourcesPage() {
  const [catalog, setCatalog] = useState(null);
  const [error, setError] = useState("");
  const [sample, setSample] = useState(null);
  const [loading, setLoading] = useState("");
  const [filter, setFilter] = useState("");

  useEffect(() => {
    getJson("/api/resources").then(setCatalog, (e) => setError(e.message));
  }, []);

  const preview = async (name) => {
    setLoading(name);
    setSample(null);
    try {
      setSample(await getJson(`/api/sample?resource=${encodeURIComponent(name)}`));
    } catch (e) {
      setSample({ resource: name, error: e.message });
    } finally {
      setLoading("");
    }
  };

  if (error) return <p className="error" role="alert">{error}</p>;
  if (!catalog) return <p>Discovering resources…</p>;
  return (
    <section>
      <h1>Resources</h1>
      <p className="lead">
        {catalog.resources.length} resources, {catalog.resources.filter((r) => r.found_live).length} of them found
        live (such as custom objects). Preview reads the first 20 records, as <code>read --limit 20</code> does.
      </p>
      <input
        className="filter"
        type="search"
        placeholder="Filter by name"
        aria-label="Filter resources by name"
        value={filter}
        onChange={(e) => setFilter(e.target.value)}
      />
      {catalog.warnings.map((w) => (
        <p key={w} className="warning">{w}</p>
      ))}
      <div className="resources-box">
      <table className="resources" data-testid="resources">
        <thead>
          <tr>
            <th>name</th><th>key</th><th>cursor</th><th>capabilities</th><th>custom fields</th><th />
          </tr>
        </thead>
        <tbody>
          {catalog.resources.filter((r) => matches(r, filter)).map((r) => (
            <tr key={r.name} data-resource={r.name}>
              <td>
                <code>{r.name}</code> {r.found_live && <span className="tag">found live</span>}
                <div className="muted">{r.display_name}</div>
              </td>
              <td><code>{r.primary_key || "—"}</code></td>
              <td><code>{r.cursor_field || "—"}</code></td>
              <td>{r.capabilities.map((c) => <span key={c} className="cap">{c}</span>)}</td>
              <td className="custom-fields">
                {r.custom_fields.length === 0 ? "—" : r.custom_fields.map((f) => (
                  <span key={f.name} title={f.type}>{f.label || f.name} <em>{f.type}</em></span>
                ))}
              </td>
              <td>
                <button type="button" onClick={() => preview(r.name)} disabled={!!loading}>
                  {loading === r.name ? "Reading…" : "Preview"}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      </div>
      {sample && <SampleTable sample={sample} />}
    </section>
  );
}

function matches(resource, filter) {
  const wanted = filter.trim().toLowerCase();
  return !wanted || resource.name.toLowerCase().includes(wanted) || resource.display_name.toLowerCase().includes(wanted);
}

function SampleTable({ sample }) {
  if (sample.error) return <p className="error" role="alert">{sample.resource}: {sample.error}</p>;
  return (
    <div className="sample" data-testid="sample">
      <h2>{sample.resource}: {sample.records.length} records</h2>
      <div className="scroll">
        <table>
          <thead>
            <tr>{sample.columns.map((c) => <th key={c}>{c}</th>)}</tr>
          </thead>
          <tbody>
            {sample.records.map((record, i) => (
              <tr key={i}>
                {sample.columns.map((c) => <td key={c}>{cell(record[c])}</td>)}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

function cell(value) {
  if (value === null || value === undefined) return "";
  const text = typeof value === "object" ? JSON.stringify(value) : String(value);
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}
