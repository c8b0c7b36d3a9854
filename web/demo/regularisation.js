// The training panel's regularisation options (dropout, batch norm, L2, noise, early stopping,
// augmentation): the one place to add them. The panel calls:
//   mountRegularisation(fieldset) -> {
//     transformLayers(layers) -> layers   // e.g. insert dropout / batch norm, add kernelRegularizer
//     fitOptions() -> {}                   // e.g. { augment: { rotation: 10 } }, merged into fit's options
//     callbacks() -> []                    // e.g. [cnn.callbacks.earlyStopping({ patience: 2 })]
//     describe() -> string                 // a short summary for the trained model's name ('' when none)
//   }
// Nothing is on yet: the fieldset only holds a note.

export function mountRegularisation(fieldset) {
  const note = document.createElement('p');
  note.className = 'muted small';
  note.textContent = 'Coming next: dropout, batch norm, L2, noise, early stopping, augmentation.';
  fieldset.append(note);
  return {
    transformLayers: (layers) => layers,
    fitOptions: () => ({}),
    callbacks: () => [],
    describe: () => '',
  };
}
