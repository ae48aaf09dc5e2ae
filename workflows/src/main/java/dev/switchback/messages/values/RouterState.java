package dev.switchback.messages.values;

/**
 * Where the application points and whether its writes are held.
 *
 * @param target the side the application uses, null when unknown
 * @param quiesced whether writes are held
 * @param detail a line for humans
 */
public record RouterState(Side target, boolean quiesced, String detail) {}
