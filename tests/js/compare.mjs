// Helpers the suites that hold wasmcnn against TF.js share: the largest difference of two outputs,
// and a TF.js model's ModelArtifacts as its own model.save() hands them over.
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';

export function maxAbsDiff(a, b) {
  assert.equal(a.length, b.length, 'output sizes differ');
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

export async function tfArtifacts(tm, config) {
  let artifacts;
  await tm.save(tf.io.withSaveHandler(async (a) => {
    artifacts = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }), config);
  return artifacts;
}
