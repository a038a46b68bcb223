class PatchTracker: pass
