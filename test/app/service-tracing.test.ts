import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withoutSecrets } from '../../src/app/service-tracing.js';

test('the collector address is logged without its credentials or query string', () => {
  assert.equal(
    withoutSecrets('http://collector:S3CRET@127.0.0.1:4318/v1/traces?api-key=K3Y'),
    'http://127.0.0.1:4318/v1/traces',
  );
  assert.equal(
    withoutSecrets('https://otel.example.com/v1/traces'),
    'https://otel.example.com/v1/traces',
  );
  assert.equal(withoutSecrets('not a url'), '[not a URL]');
});
