// The WCDS reader/writer lives with the library, which ships it; scripts use the same code.
export * from '../../web/lib/dataset.js';
