//! Rendering only: reads the model, never mutates it. (Being written.)
