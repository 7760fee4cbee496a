// Three pages behind one nav: the credential form, the resource browser, the sync reports (hash routes).
import { useEffect, useState } from "react";
import { createRoot } from "react-dom/client";
import { getJson } from "./api.js";
import CredentialPage from "./CredentialPage.jsx";
import ResourcesPage from "./ResourcesPage.jsx";
import ReportsPage from "./ReportsPage.jsx";
import "./style.css";

const PAGES = [
  { route: "credential", title: "Credential", Page: CredentialPage },
  { route: "resources", title: "Resources", Page: ResourcesPage },
  { route: "reports", title: "Sync reports", Page: ReportsPage },
];

function currentRoute() {
  const [route, ...rest] = window.location.hash.replace(/^#\/?/, "").split("/");
  return { route: PAGES.some((p) => p.route === route) ? route : "credential", arg: rest.join("/") };
}

function App() {
  const [location, setLocation] = useState(currentRoute());
  const [about, setAbout] = useState(null);
  useEffect(() => {
    const onHash = () => setLocation(currentRoute());
    window.addEventListener("hashchange", onHash);
    getJson("/api/about").then((value) => {
      setAbout(value);
      document.title = `${value.connector} connector`;
    });
    return () => window.removeEventListener("hashchange", onHash);
  }, []);
  const page = PAGES.find((p) => p.route === location.route);
  return (
    <>
      <header>
        <span className="brand">{about ? `${about.connector} connector` : "connector"}</span>
        <nav>
          {PAGES.map((p) => (
            <a key={p.route} href={`#/${p.route}`} className={p.route === page.route ? "active" : ""}>
              {p.title}
            </a>
          ))}
        </nav>
      </header>
      <main>
        <page.Page key={page.route} arg={location.arg} about={about} />
      </main>
    </>
  );
}

createRoot(document.getElementById("root")).render(<App />);
