// Anchor translation unit for the resource library.
