package dev.switchback.codecserver;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Who may use the codec server: a file of {@code user:token} lines, one per authorised user ({@code
 * #} starts a comment). A request is authorised when it carries a user's token, as {@code
 * Authorization: Bearer <token>} (the {@code temporal} CLI's {@code --codec-auth}) or as HTTP Basic
 * credentials {@code <user>:<token>} (a browser that signed in once). Only digests are kept, and
 * compared in constant time.
 */
public final class CodecTokens {
  public static final int MIN_TOKEN_LENGTH = 16;
  private static final Pattern USER = Pattern.compile("[A-Za-z0-9._@-]{1,64}");
  private static final Pattern TOKEN = Pattern.compile("[\\x21-\\x7e]+");

  private final Map<String, byte[]> digests;

  private CodecTokens(Map<String, byte[]> digests) {
    this.digests = digests;
  }

  /**
   * Reads {@code file}.
   *
   * @throws IllegalArgumentException naming the file, the line and the fix (never the token)
   */
  public static CodecTokens read(Path file) {
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "--tokens-file "
              + file
              + " cannot be read ("
              + e.getClass().getSimpleName()
              + "): give a file of user:token lines the codec server's user can read",
          e);
    }
    Map<String, byte[]> digests = new LinkedHashMap<>();
    Map<String, Integer> lineOfDigest = new LinkedHashMap<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String where = "--tokens-file " + file + " line " + (i + 1);
      int colon = line.indexOf(':');
      String user = colon < 0 ? "" : line.substring(0, colon);
      if (!USER.matcher(user).matches()) {
        throw new IllegalArgumentException(
            where
                + " is not user:token (a user name of letters, digits, '.', '_', '@', '-', then ':'"
                + " and the token)");
      }
      String token = line.substring(colon + 1);
      if (token.length() < MIN_TOKEN_LENGTH || !TOKEN.matcher(token).matches()) {
        throw new IllegalArgumentException(
            where
                + ": the token of "
                + user
                + " must be at least "
                + MIN_TOKEN_LENGTH
                + " characters without spaces; make one with openssl rand -hex 16");
      }
      if (digests.containsKey(user)) {
        throw new IllegalArgumentException(where + ": user " + user + " appears twice");
      }
      byte[] digest = digest(token);
      String key = Base64.getEncoder().encodeToString(digest);
      if (lineOfDigest.containsKey(key)) {
        throw new IllegalArgumentException(
            where
                + ": "
                + user
                + " has the same token as line "
                + lineOfDigest.get(key)
                + "; give every user a token of their own");
      }
      lineOfDigest.put(key, i + 1);
      digests.put(user, digest);
    }
    if (digests.isEmpty()) {
      throw new IllegalArgumentException(
          "--tokens-file "
              + file
              + " names no user: add a line user:token per authorised user (a token: openssl rand"
              + " -hex 16)");
    }
    return new CodecTokens(Map.copyOf(digests));
  }

  /** The authorised users' names. */
  public Set<String> users() {
    return digests.keySet();
  }

  /**
   * The user that an {@code Authorization} header value authenticates, or null when it
   * authenticates nobody (missing, malformed, or a token no user has).
   */
  public String user(String authorization) {
    if (authorization == null) {
      return null;
    }
    String value = authorization.strip();
    if (value.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return byToken(value.substring(7).strip(), null);
    }
    if (value.regionMatches(true, 0, "Basic ", 0, 6)) {
      String credentials;
      try {
        credentials =
            new String(
                Base64.getDecoder().decode(value.substring(6).strip()), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException notBase64) {
        return null;
      }
      int colon = credentials.indexOf(':');
      return colon <= 0
          ? null
          : byToken(credentials.substring(colon + 1), credentials.substring(0, colon));
    }
    return null;
  }

  /** Every user's digest is compared, whoever matches, so the time says nothing about which. */
  private String byToken(String token, String claimedUser) {
    byte[] digest = digest(token);
    String found = null;
    for (Map.Entry<String, byte[]> e : digests.entrySet()) {
      if (MessageDigest.isEqual(digest, e.getValue())
          && (claimedUser == null || claimedUser.equals(e.getKey()))) {
        found = e.getKey();
      }
    }
    return found;
  }

  private static byte[] digest(String token) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }
}
