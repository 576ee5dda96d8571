/* svg: the project's small SVG writer, for reports that open from the disk
 * (no JavaScript, no external file): a line chart of series over a shared
 * x axis, and the text escaping HTML and SVG need.
 *
 * Contract: svg_line_chart() appends one <svg> element width x height px:
 * the title on top, each series as a <polyline> (points evenly spaced on x,
 * y scaled to the lowest and highest value of every series, a flat range
 * widened by 1 so it is drawn), the y range's two bounds as labels on the
 * left and the x labels (first, last) below. Values that are not finite
 * are left out of the range and of the line. Text is escaped. */
#ifndef SVG_H
#define SVG_H

#include <stddef.h>

#include "platform/dstr.h"

typedef struct svg_series {
    const double *y;
    size_t n;
    const char *color; /* an SVG colour name or #rrggbb */
    const char *label;
} svg_series;

void svg_line_chart(dstr *out, const char *title, const svg_series *s, size_t ns,
                    const char *x_first, const char *x_last, int width, int height);

/* text with & < > " ' as entities (for HTML and SVG text and attributes). */
void svg_escape(dstr *out, const char *text);

#endif
