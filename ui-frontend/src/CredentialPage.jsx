// The credential form: rendered by react-jsonschema-form from the connector's credential schema, with the
// uiSchema the server derives from the schema's UI hints. Test runs `check`; Save writes the file and the
// page keeps only the masked view (a saved key never comes back).
import { useEffect, useRef, useState } from "react";
import Form from "@rjsf/core";
import validator from "@rjsf/validator-ajv8";
import { getJson, postJson } from "./api.js";

export default function CredentialPage() {
  const formRef = useRef(null);
  const [form, setForm] = useState(null);
  const [formData, setFormData] = useState({});
  const [advanced, setAdvanced] = useState(false);
  const [busy, setBusy] = useState("");
  const [outcome, setOutcome] = useState(null);
  const [saved, setSaved] = useState(null);
  const [error, setError] = useState("");

  const load = async () => {
    const value = await getJson("/api/form");
    setForm(value);
    setFormData(value.saved.fields);
    setSaved(value.saved);
  };
  useEffect(() => {
    load().catch((e) => setError(e.message));
  }, []);

  const run = async (action) => {
    if (!formRef.current.validateForm()) return;
    setBusy(action);
    setError("");
    setOutcome(null);
    try {
      if (action === "test") {
        setOutcome(await postJson("/api/test", { fields: formData }));
      } else {
        const answer = await postJson("/api/save", { fields: formData });
        if (!answer.saved) {
          setOutcome({ ok: false, status: "not_saved", headline: "Not saved", message: answer.message });
        } else {
          setOutcome({ ok: true, status: "saved", headline: "Saved", message: answer.message });
          await load(); // the masked view: the key's field is empty again, and not required while it is saved
        }
      }
    } catch (e) {
      setError(e.message);
    } finally {
      setBusy("");
    }
  };

  if (error && !form) return <p className="error">{error}</p>;
  if (!form) return <p>Loading the form…</p>;
  return (
    <section className={advanced ? "credential" : "credential hide-advanced"}>
      {saved && saved.saved_secrets.length > 0 && (
        <p className="saved-note" data-testid="saved-note">
          Saved in <code>{saved.path}</code>: {saved.saved_secrets.map((name) => (
            <span key={name} className="masked">{name} ••••••••</span>
          ))}
        </p>
      )}
      <label className="switch">
        <input type="checkbox" checked={advanced} onChange={(e) => setAdvanced(e.target.checked)} /> Show
        advanced fields
      </label>
      <Form
        ref={formRef}
        schema={form.schema}
        uiSchema={form.uiSchema}
        formData={formData}
        validator={validator}
        onChange={(e) => setFormData(e.formData)}
        showErrorList={false}
        noHtml5Validate
      >
        <div className="buttons">
          <button type="button" onClick={() => run("test")} disabled={!!busy}>
            {busy === "test" ? "Testing…" : "Test"}
          </button>
          <button type="button" className="primary" onClick={() => run("save")} disabled={!!busy}>
            {busy === "save" ? "Saving…" : "Save"}
          </button>
        </div>
      </Form>
      {outcome && (
        <div className={`outcome ${outcome.ok ? "ok" : "fail"}`} role="status" data-status={outcome.status}>
          <strong>{outcome.headline}</strong>
          <span>{outcome.message}</span>
        </div>
      )}
      {error && <p className="error" role="alert">{error}</p>}
    </section>
  );
}
