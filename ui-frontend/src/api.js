// The server's JSON API. Every answer is JSON; a failure carries {error} in plain words.
export async function getJson(path) {
  const response = await fetch(path, { headers: { Accept: "application/json" } });
  return answer(response);
}

export async function postJson(path, body) {
  const response = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify(body),
  });
  return answer(response);
}

async function answer(response) {
  const value = await response.json();
  if (!response.ok) throw new Error(value.error || `HTTP ${response.status}`);
  return value;
}
