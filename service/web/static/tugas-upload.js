// Result photos on an OPD officer's complaint page, sent resumably (tus 1.0 over fetch, 1 MB chunks): a dropped
// connection or a reload resumes where the server's offset stands. A file of its own, since the console's
// Content-Security-Policy runs no inline script; without fetch the forms post their files as multipart instead.
(() => {
  if (!window.fetch || !window.crypto || !crypto.randomUUID || !window.localStorage) return;
  const ENDPOINT = "/api/v1/uploads";
  const CHUNK = 1024 * 1024;
  const RETRIES = 5;
  const GONE = [404, 410];

  const b64 = (text) => btoa(String.fromCharCode(...new TextEncoder().encode(text)));
  const wait = (ms) => new Promise((done) => setTimeout(done, ms));

  class Refused extends Error {}

  async function refusal(response) {
    try {
      return new Refused((await response.json()).message);
    } catch {
      return new Refused(String(response.status));
    }
  }

  function tus(csrf, extra) {
    return { "Tus-Resumable": "1.0.0", "X-CSRF-Token": csrf, ...extra };
  }

  // The server's offset of an upload; null when it is gone (expired, finished), undefined when unreachable.
  async function offsetOf(url, csrf) {
    try {
      const response = await fetch(url, { method: "HEAD", headers: tus(csrf, {}), credentials: "same-origin" });
      if (response.ok) return Number(response.headers.get("Upload-Offset"));
      return GONE.includes(response.status) ? null : undefined;
    } catch {
      return undefined;
    }
  }

  async function create(file, complaintId, csrf) {
    const meta = { client_uuid: crypto.randomUUID(), complaint_id: complaintId, filename: file.name };
    const headers = tus(csrf, {
      "Upload-Length": String(file.size),
      "Upload-Metadata": Object.entries(meta).map(([key, value]) => `${key} ${b64(String(value))}`).join(","),
    });
    const response = await fetch(ENDPOINT, { method: "POST", headers, credentials: "same-origin" });
    if (response.status !== 201) throw await refusal(response);
    return response.headers.get("Location");
  }

  // One chunk; the new offset, or a number-less answer to retry after asking the server where it stands.
  async function patch(url, file, offset, csrf) {
    let response;
    try {
      const headers = tus(csrf, { "Upload-Offset": String(offset), "Content-Type": "application/offset+octet-stream" });
      const body = file.slice(offset, offset + CHUNK);
      response = await fetch(url, { method: "PATCH", headers, body, credentials: "same-origin" });
    } catch {
      return undefined;  // the network: retry
    }
    if (response.status === 204) return Number(response.headers.get("Upload-Offset"));
    if (response.status >= 500 || (response.status === 409 && response.headers.has("Upload-Offset"))) return undefined;
    throw await refusal(response);
  }

  async function send(file, complaintId, csrf, shown) {
    const key = `tus:${complaintId}:${file.name}:${file.size}:${file.lastModified}`;
    let url = localStorage.getItem(key);
    let offset = url ? await offsetOf(url, csrf) : null;
    if (offset === null || offset === undefined) {
      url = await create(file, complaintId, csrf);
      localStorage.setItem(key, url);  // a reload of the page resumes this upload
      offset = 0;
    }
    for (let failures = 0; offset < file.size; ) {
      shown.value = offset;
      const moved = await patch(url, file, offset, csrf);
      if (moved !== undefined) {
        offset = moved;
        failures = 0;
        continue;
      }
      if (++failures > RETRIES) throw new Error("network");
      await wait(500 * failures);
      const known = await offsetOf(url, csrf);
      if (known === null) {
        localStorage.removeItem(key);
        throw new Error("gone");
      }
      if (known !== undefined) offset = known;
    }
    shown.value = file.size;
    localStorage.removeItem(key);
  }

  function progressList(input) {
    const list = document.createElement("ul");
    list.className = "tugas-uploads";
    input.closest(".form-group").append(list);
    const status = document.createElement("p");
    status.className = "hint";
    status.setAttribute("role", "status");  // completion and refusals are read out, not every percent
    list.after(status);
    return { list, status };
  }

  async function sendAll(form, files) {
    const texts = form.dataset;
    const csrf = form.querySelector("input[name=csrf_token]").value;
    const { list, status } = progressList(form.querySelector("input[type=file]"));
    const failed = [];
    for (const file of files) {
      const item = document.createElement("li");
      const bar = document.createElement("progress");
      bar.max = file.size;
      bar.value = 0;
      bar.setAttribute("aria-label", file.name);
      item.append(`${file.name} `, bar);
      list.append(item);
      try {
        await send(file, form.dataset.resumable, csrf, bar);
        status.textContent = `${file.name}: ${texts.textDone}`;
      } catch (error) {
        const reason = error instanceof Refused ? error.message : texts.textNetwork;
        item.append(` ${texts.textFailed} ${reason}`);
        failed.push(file.name);
        status.textContent = `${file.name}: ${texts.textFailed} ${reason}`;
      }
    }
    return failed.length === 0;
  }

  // The answer first (the normal POST, its redirect followed); the photos once it is resolved, since result
  // photos are taken while answering and once resolved. A refused answer: the form posts as without JavaScript.
  async function resolveThenSend(form, files) {
    const data = new FormData(form);
    data.delete("foto");
    const response = await fetch(form.action, { method: "POST", body: data, credentials: "same-origin" });
    if (!response.ok || !response.redirected) {
      form.submit();
      return;
    }
    if (await sendAll(form, files)) location.assign(response.url);
  }

  async function sendOnly(form, files) {
    if (await sendAll(form, files)) location.assign(`${location.pathname}?ok=photos`);
  }

  document.addEventListener("DOMContentLoaded", () => {
    for (const form of document.querySelectorAll("form[data-resumable]")) {
      const input = form.querySelector("input[type=file]");
      form.addEventListener("submit", (event) => {
        const files = [...input.files];
        // None, or more than room is left: the server's answer says so, as without JavaScript.
        if (!files.length || files.length > Number(input.dataset.maxFiles)) return;
        event.preventDefault();
        for (const button of form.querySelectorAll("button")) button.disabled = true;
        input.disabled = true;
        const run = form.dataset.step === "resolve" ? resolveThenSend : sendOnly;
        run(form, files).finally(() => {
          for (const button of form.querySelectorAll("button")) button.disabled = false;
          input.disabled = false;
        });
      });
    }
  });
})();
