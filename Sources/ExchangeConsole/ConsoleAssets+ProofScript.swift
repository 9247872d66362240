extension ConsoleAssets {
    /// The proof check: recomputes the entry's leaf hash and its RFC 9162 inclusion path with
    /// Web Crypto (SHA-256), checks the checkpoint note's Ed25519 signature by the log's verifier
    /// key, and that the path ends in the signed root (docs/audit-format.md §3, §5). It writes
    /// only text (`textContent`) and sets `data-outcome` to `running`, then `ok`, `failed` or `unsupported`.
    static let proofScript = #"""
"use strict";
(function () {
  const section = document.getElementById("proof");
  if (!section) { return; }
  const result = document.getElementById("proof-result");
  const d = section.dataset;

  function bytes(base64) {
    const binary = atob(base64);
    const out = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) { out[i] = binary.charCodeAt(i); }
    return out;
  }
  function hex(array) { return Array.from(array, (b) => b.toString(16).padStart(2, "0")).join(""); }
  function concat(parts) {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) { out.set(p, at); at += p.length; }
    return out;
  }
  function same(a, b) { return a.length === b.length && a.every((x, i) => x === b[i]); }
  async function sha256(data) { return new Uint8Array(await crypto.subtle.digest("SHA-256", data)); }
  const half = (n) => Math.floor(n / 2);

  // RFC 9162 §2.1.3.2: the root an inclusion path leads to, or null when it is malformed.
  async function rootOf(leaf, index, size, path) {
    if (index >= size) { return null; }
    let fn = index, sn = size - 1, r = leaf;
    for (const p of path) {
      if (sn === 0) { return null; }
      if (fn % 2 === 1 || fn === sn) {
        r = await sha256(concat([new Uint8Array([1]), p, r]));
        if (fn % 2 === 0) { while (fn % 2 === 0 && fn !== 0) { fn = half(fn); sn = half(sn); } }
      } else {
        r = await sha256(concat([new Uint8Array([1]), r, p]));
      }
      fn = half(fn); sn = half(sn);
    }
    return sn === 0 ? r : null;
  }

  // C2SP signed note: true when a signature of the trusted key verifies and none of it fails.
  async function noteVerifies(note, verifierKey) {
    const first = verifierKey.indexOf("+"), second = verifierKey.indexOf("+", first + 1);
    const name = verifierKey.slice(0, first), keyID = verifierKey.slice(first + 1, second);
    const key = bytes(verifierKey.slice(second + 1));
    if (key[0] !== 1 || key.length !== 33) { throw new Error("unsupported"); }
    let publicKey;
    try {
      publicKey = await crypto.subtle.importKey("raw", key.slice(1), { name: "Ed25519" }, false, ["verify"]);
    } catch (e) {
      throw new Error("unsupported");
    }
    const split = note.lastIndexOf("\n\n");
    if (split < 0) { return { ok: false }; }
    const text = note.slice(0, split + 1);
    let verified = false;
    for (const line of note.slice(split + 2).split("\n")) {
      if (line === "") { continue; }
      if (!line.startsWith("\u2014 ")) { return { ok: false }; }
      const parts = line.slice(2).split(" ");
      if (parts.length !== 2 || parts[0] !== name) { continue; }
      const raw = bytes(parts[1]);
      if (hex(raw.slice(0, 4)) !== keyID) { continue; }
      const good = await crypto.subtle.verify({ name: "Ed25519" }, publicKey, raw.slice(4), new TextEncoder().encode(text));
      if (!good) { return { ok: false }; }
      verified = true;
    }
    return { ok: verified, text: text };
  }

  async function check(entry) {
    if (!window.crypto || !crypto.subtle) { throw new Error("unsupported"); }
    const note = new TextDecoder().decode(bytes(d.checkpoint));
    const signed = await noteVerifies(note, d.verifierKey);
    if (!signed.ok) { return false; }
    const lines = signed.text.split("\n");
    if (lines.length > 3 && lines[3].startsWith("tree-hash ")) { throw new Error("unsupported"); }
    const size = Number(lines[1]);
    if (String(size) !== d.treeSize) { return false; }
    const path = d.proof === "" ? [] : d.proof.split(" ").map(bytes);
    const leaf = await sha256(concat([new Uint8Array([0]), entry]));
    const root = await rootOf(leaf, Number(d.index), size, path);
    return root !== null && same(root, bytes(lines[2]));
  }

  function show(outcome) {
    result.dataset.outcome = outcome;
    result.className = "outcome-" + outcome;
    result.textContent = outcome === "ok" ? d.msgOk : outcome === "failed" ? d.msgFailed : d.msgUnsupported;
  }

  async function run(tamper) {
    result.dataset.outcome = "running";
    const entry = bytes(d.entry);
    if (tamper && entry.length > 0) { entry[entry.length - 2] ^= 0x01; }
    try {
      show((await check(entry)) ? "ok" : "failed");
    } catch (e) {
      show(e && e.message === "unsupported" ? "unsupported" : "failed");
    }
  }

  document.getElementById("verify-proof").addEventListener("click", () => run(false));
  document.getElementById("verify-tampered").addEventListener("click", () => run(true));
})();
"""#
}
