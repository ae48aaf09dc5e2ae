package dev.switchback.messages.values;

/** Engine catch-ups the migration does not carry (PostgreSQL sequences). */
public record SequenceSyncResult(int synced, String detail) {}
