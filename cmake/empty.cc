// An empty translation unit: the target that builds a module's shared precompiled header compiles
// it.
