import * as cnn from 'wasmcnn';
import * as scenario from '../../shared/scenario.js';

window.app = { cnn, scenario };
document.body.dataset.loaded = 'true';
