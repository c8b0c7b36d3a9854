// "That doesn't look like a digit": out-of-distribution checks for the digit models, on features
// of the preprocessed drawing (web/lib/image.js toMnist) and the model's confidence. A softmax alone
// is no test: a dot reads "99.9% sure it is a 0". Thresholds measured with tests/e2e/ood_measure.mjs
// (2,000 held-out MNIST digits placed at 30-85% of the pad; 500 generated scribbles, 500 dots):
//   real digits flagged 1.9% (most of them misread anyway); scribbles caught 84.0%; dots 94.2%.
export const LIMITS = {
  // The drawing's length in pen widths: a dot is about 1 (median 0.97), MNIST digits 3.3 and up (1%
  // quantile), but a digit drawn at a quarter of the pad with the page's thick pen only 2-2.5.
  minExtent: 1.8,
  maxInk: 0.32, // share of the 20 px box inked: digits 0.10-0.32, scribbles fill it (median 0.38)
  minInk: 0.08, // specks scattered over the box leave it nearly empty
  minConfidence: 0.7,
};

/** Why `input` (toMnist's result) with class probabilities `probs` is not a digit, or null when it may be one. */
export function notADigit(input, probs) {
  if (input.extent < LIMITS.minExtent) return 'a dot or a blob';
  if (input.inkShare > LIMITS.maxInk) return 'a scribble';
  if (input.inkShare < LIMITS.minInk) return 'a few specks';
  if (Math.max(...probs) < LIMITS.minConfidence) return 'nothing the model is sure of';
  return null;
}
