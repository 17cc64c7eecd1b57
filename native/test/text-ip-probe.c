/*
 * Test probe for text.c and ip.c, compared against the TypeScript originals by a script:
 *   num   : lines of 16 hex digits (IEEE bits) -> JS String(number)
 *   tonum : lines of JSON-free text (\n-separated) -> String(Number(text))
 *   fid   : lines "family<TAB>cidr|-<TAB>text" -> failureId(text, family, cidr).id
 *   parse : lines of text -> parseIp(text)?.text ?? "none"
 *   repair: lines of bytes -> TextDecoder's text, then JSON.stringify of it, then its UTF-16 length
 * Build: cc -std=c11 -O1 -g -fsanitize=address,undefined -o build/text-ip-probe test/text-ip-probe.c src/text.c src/ip.c -lm
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/ip.h"
#include "../src/text.h"

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  const char *mode = argv[1];
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  while ((n = getline(&line, &cap, stdin)) >= 0) {
    if (n > 0 && line[n - 1] == '\n') line[--n] = '\0';
    char out[JS_NUMBER_MAX];
    if (strcmp(mode, "num") == 0) {
      unsigned long long bits = strtoull(line, NULL, 16);
      double x;
      memcpy(&x, &bits, sizeof x);
      js_number_to_string(x, out);
      printf("%s\n", out);
    } else if (strcmp(mode, "tonum") == 0) {
      js_number_to_string(js_string_to_number(line, (size_t)n), out);
      printf("%s\n", out);
    } else if (strcmp(mode, "fid") == 0) {
      char *t1 = strchr(line, '\t');
      char *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
      if (!t2) return 2;
      int family = atoi(line);
      int has_cidr = !(t1[1] == 0x2d && t1 + 2 == t2);
      double cidr = has_cidr ? js_string_to_number(t1 + 1, (size_t)(t2 - t1 - 1)) : 0;
      failure_id_text id;
      failure_id(t2 + 1, strlen(t2 + 1), family, has_cidr, cidr, &id);
      printf("%.*s\n", (int)id.len, id.p);
    } else if (strcmp(mode, "repair") == 0) {
      unsigned char *fixed = malloc(3 * (size_t)n + 1);
      char *json = malloc(JSON_STRING_MAX(3 * (size_t)n) + 1);
      if (!fixed || !json) return 3;
      size_t k = utf8_repair((unsigned char *)line, (size_t)n, fixed);
      if (!utf8_is_valid(fixed, k)) return 4;
      char *end = json_escape_string(json, (char *)fixed, k);
      int split;
      size_t cut = utf8_prefix_for_utf16(fixed, k, 7, &split);
      printf("%.*s %zu%s\n", (int)(end - json), json, cut, split ? "s" : "");
      free(fixed);
      free(json);
    } else if (strcmp(mode, "parse") == 0) {
      ip_address a;
      char text[IP_TEXT_MAX];
      if (ip_parse(line, (size_t)n, &a)) {
        ip_format(&a, text);
        printf("%s\n", text);
      } else
        printf("none\n");
    }
  }
  free(line);
  return 0;
}
