// The demo's MNIST preprocessing lives in the library (web/lib/image.js), so apps that use
// cnn.image.digitFromCanvas get exactly what the page does; re-exported here for the page and its tests.
export {
  MNIST_SIZE, MNIST_BOX, STROKE_SHARE, inkFromRGBA, boundingBox, crop, resizeArea, centerOfMass, normalizeStroke, toMnist,
} from '../lib/image.js';
