/**
 * wasmcnn's training worker script (`wasmcnn/worker`): it exports nothing. Its URL is what
 * trainInWorker's `workerUrl` option (or `cnn.ready({ workerUrl })`) takes when you serve it yourself.
 */
export {};
