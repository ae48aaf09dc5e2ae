package dev.switchback.activities.validation;

/**
 * A table column as one side's catalog describes it.
 *
 * @param name the column's name
 * @param type the full declared type ({@code numeric(12,2)}, {@code datetime(6)})
 * @param baseType the type's family in the engine's own words ({@code numeric}, {@code int8},
 *     {@code datetime}), lower case
 * @param nullable whether the column admits NULL
 * @param charset the character set of a MySQL text column, else null
 * @param scale the declared scale of a decimal column, else -1
 */
public record Column(
    String name, String type, String baseType, boolean nullable, String charset, int scale) {}
