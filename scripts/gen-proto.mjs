#!/usr/bin/env node
// Regenerates src/pulsar/proto/generated/ from src/pulsar/proto/PulsarApi.proto with buf and
// protoc-gen-es (both npm dev dependencies; buf ships its binary in its npm package).
// Usage: npm run gen:proto
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';

const out = 'src/pulsar/proto/generated';
const template = {
  version: 'v2',
  plugins: [{ local: 'protoc-gen-es', out, opt: ['target=ts', 'import_extension=js'] }],
};
rmSync(out, { recursive: true, force: true });
const res = spawnSync(
  'npx',
  ['--no-install', 'buf', 'generate', 'src/pulsar/proto', '--template', JSON.stringify(template)],
  { stdio: 'inherit' },
);
process.exit(res.status ?? 1);
