"""The pages of `insightly-connector ui`: the credential form, a resource browser and a sync report.

A small HTTP server on 127.0.0.1 serves the built front end (`static/`, built from `ui-frontend/` by vite and
committed, so nothing is fetched at run time) and a JSON API over the runner's own code: `check`, `discover`,
a sample read, and the files a run leaves behind. Like the rest of the runner it is generic: every fact about
the API comes from the spec and the credential form."""
