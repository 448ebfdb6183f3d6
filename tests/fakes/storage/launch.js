#!/usr/bin/env node
// launch.js — Google's Cloud Storage emulator (firebase-tools, pinned in package.json and
// package-lock.json beside this file), started offline for fleetsim's gcs tests.
//
//   node launch.js [--host 127.0.0.1] [--port 0] [--project fleetsim-test]
//
// Why not `firebase emulators:start --only storage`: the stock launcher wants Java 21 and
// downloads the Firebase security-rules runtime (a jar) before it serves anything, and this
// machine has neither Java 21 nor the network. The emulator's HTTP server is plain Node, and
// its Cloud Storage JSON API routes (apis/gcloud.js) go through the *admin* storage layer,
// which never evaluates rules. So we build the same StorageEmulator with the rules runtime
// and rules manager replaced by no-ops and start its express app ourselves. Everything else
// (uploads, metadata with md5Hash/crc32c, downloads, 404s, bucket auto-creation) is Google's
// code, unchanged — but for one route, see below.
//
// Chunked resumable uploads. Cloud Storage's resumable protocol takes an object in several
// PUTs to the session URI, each with `Content-Range: bytes FIRST-LAST/TOTAL` (TOTAL `*`
// while unknown), answering 308 with `Range: bytes=0-N` (what is persisted) until the last
// byte, then 200 with the object's metadata; `Content-Range: bytes */TOTAL` asks for the
// persisted range without sending any. The emulator's JSON-API PUT (firebase-tools 15.34.2,
// apis/gcloud.js) ignores Content-Range: it appends the first PUT's body and finalizes the
// object at once, so a second chunk gets HTTP 400 and the object is only the first chunk.
// chunkedResumablePut() below serves those PUTs with Content-Range by Cloud Storage's rules,
// on the emulator's own upload service and storage layer (the same calls its route makes);
// a PUT without Content-Range still goes to Google's route. Bytes re-sent below the
// persisted offset are skipped, as Cloud Storage does; a chunk that starts beyond it (a
// gap) is HTTP 400. Every request body, as in Google's routes, is limited to 130 MiB.
//
// Port 0 (the default) lets the kernel pick a free port: no race between choosing and
// binding. When listening, one line goes to stdout:
//   STORAGE_EMULATOR_READY http://127.0.0.1:PORT
// SIGTERM / SIGINT stop the server and remove the emulator's blob directory.
"use strict";

const fs = require("fs");
const os = require("os");
const path = require("path");

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const host = arg("host", "127.0.0.1");
const port = Number(arg("port", "0"));
const projectId = arg("project", process.env.GOOGLE_CLOUD_PROJECT || "fleetsim-test");

// The package lives in a cache directory (see with_storage.sh), not next to this file.
const modules = process.env.FSIM_STORAGE_EMULATOR_MODULES || path.join(__dirname, "node_modules");
const lib = path.join(modules, "firebase-tools", "lib", "emulator", "storage");
const { StorageEmulator } = require(path.join(lib, "index.js"));
const { createApp } = require(path.join(lib, "server.js"));
const { EmulatorRegistry } = require(path.join(lib, "..", "registry.js"));
const { CloudStorageObjectMetadata } = require(path.join(lib, "metadata.js"));
const { NotFoundError } = require(path.join(lib, "errors.js"));
const express = require(path.join(modules, "express"));
const bodyParser = require(path.join(modules, "body-parser"));

// The stock emulator keeps blobs under $TMPDIR/firebase/storage/blobs — one folder shared
// by every instance on the machine, which it wipes on reset and stop. Tests run emulators
// in parallel, so each instance gets its own folder.
const blobDir = fs.mkdtempSync(path.join(os.tmpdir(), "fsim-gcs-emulator-"));

// Rules are never consulted by the admin (GCS JSON API) routes; this stands in for the
// rules manager so that nothing downloads or spawns the Java rules runtime.
const noRules = {
  start: async () => ({ errors: [], warnings: [], all: [], exist: () => false }),
  stop: async () => {},
  getRuleset: () => undefined,
};

// PUT {session URI} with Content-Range (see the header): Cloud Storage's chunk semantics.
function chunkedResumablePut(emulator) {
  const raw = bodyParser.raw({ type: () => true, limit: "130mb" });
  const handle = async (req, res) => {
    const id = req.query.upload_id.toString();
    const m = /^bytes (?:(\d+)-(\d+)|\*)\/(\d+|\*)$/.exec(req.header("content-range").trim());
    if (!m) return res.status(400).json({ error: { code: 400, message: "bad Content-Range" } });
    const { uploadService, adminStorageLayer } = emulator;
    let upload;
    try {
      upload = uploadService.getResumableUpload(id);
    } catch (err) {
      if (err instanceof NotFoundError) return res.sendStatus(404);
      throw err;
    }
    if (upload.status === "cancelled") return res.sendStatus(410);
    if (upload.status === "final") {
      const { metadata } = await adminStorageLayer.getObject({
        bucketId: upload.bucketId,
        decodedObjectId: upload.objectId,
      });
      return res.json(new CloudStorageObjectMetadata(metadata));
    }
    const total = m[3] === "*" ? undefined : Number(m[3]);
    if (m[1] !== undefined) {
      const first = Number(m[1]);
      const last = Number(m[2]);
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      if (last < first || body.length !== last - first + 1)
        return res.status(400).json({ error: { code: 400, message: "Content-Range does not match the body" } });
      if (first > upload.size)
        return res.status(400).json({
          error: { code: 400, message: `chunk starts at ${first}, ${upload.size} bytes persisted` },
        });
      const skip = upload.size - first;
      if (skip < body.length) uploadService.continueResumableUpload(id, body.subarray(skip));
    }
    if (total !== undefined && upload.size > total)
      return res.status(400).json({ error: { code: 400, message: "more bytes than the total" } });
    if (total !== undefined && upload.size === total) {
      uploadService.finalizeResumableUpload(id);
      const metadata = await adminStorageLayer.uploadObject(upload);
      return res.json(new CloudStorageObjectMetadata(metadata));
    }
    if (upload.size > 0) res.set("Range", `bytes=0-${upload.size - 1}`);
    return res.status(308).end();
  };
  return (req, res, next) => {
    if (!req.query.upload_id || !req.header("content-range")) return next();
    raw(req, res, (err) => {
      if (err) return next(err);
      handle(req, res).catch(next);
    });
  };
}

class OfflineStorageEmulator extends StorageEmulator {
  createRulesManager() {
    return noRules;
  }
  getPersistenceTmpDir() {
    return path.join(blobDir, "blobs");
  }
  async start() {
    const google = await createApp(projectId, this);
    this._app = express();
    this._app.put("/upload/storage/v1/b/:bucketId/o", chunkedResumablePut(this));
    this._app.use(google);
    const addr = await new Promise((resolve, reject) => {
      this._server = this._app.listen(port, host, () => resolve(this._server.address()));
      this._server.once("error", reject);
    });
    // Bucket and object metadata carry self links built from the registry's host and port
    // (EmulatorRegistry.url); the stock launcher registers the instance, so we do too, with
    // the port the kernel picked.
    this.args.port = addr.port;
    EmulatorRegistry.set(this.getName(), this);
    return addr;
  }
  async stop() {
    if (this._server) {
      this._server.closeAllConnections?.();
      await new Promise((resolve) => this._server.close(() => resolve()));
    }
    fs.rmSync(blobDir, { recursive: true, force: true });
  }
}

async function main() {
  const emulator = new OfflineStorageEmulator({ projectId, host, port, auto_download: false });
  const addr = await emulator.start();
  const shown = addr.family === "IPv6" || addr.family === 6 ? `[${addr.address}]` : addr.address;
  process.stdout.write(`STORAGE_EMULATOR_READY http://${shown}:${addr.port}\n`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    try {
      await emulator.stop();
    } finally {
      process.exit(0);
    }
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main().catch((err) => {
  fs.rmSync(blobDir, { recursive: true, force: true });
  console.error(`launch.js: could not start the storage emulator: ${err && err.stack ? err.stack : err}`);
  process.exit(1);
});
