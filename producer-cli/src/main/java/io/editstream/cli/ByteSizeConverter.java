package io.editstream.cli;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Byte counts as {@code 524288}, {@code 512k}, {@code 512KiB}, {@code 1m}, {@code 1MiB}. */
public final class ByteSizeConverter implements ITypeConverter<Long> {
  private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*(|b|k|kb|kib|m|mb|mib)");

  @Override
  public Long convert(String value) {
    Matcher m = SIZE.matcher(value.strip().toLowerCase(Locale.ROOT));
    if (!m.matches()) {
      throw new TypeConversionException(
          "'" + value + "' is not a size: use e.g. 524288, 512k or 1m (binary units)");
    }
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "k", "kb", "kib" -> n * 1024;
      case "m", "mb", "mib" -> n * 1024 * 1024;
      default -> n;
    };
  }
}
