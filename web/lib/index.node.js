// The package's entry under Node (the "node" condition of package.json's exports): the same API as
// index.js, with Node's file system and worker_threads registered before index.js loads the core.
import './node.js';

export * from './index.js';
