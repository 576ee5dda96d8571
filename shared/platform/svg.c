/* svg: a small SVG writer (see svg.h). */
#include "platform/svg.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define SVG_MARGIN_LEFT 90
#define SVG_MARGIN 20
#define SVG_TITLE 24

void svg_escape(dstr *out, const char *text) {
    for (const char *p = text ? text : ""; *p; p++) {
        switch (*p) {
        case '&': dstr_puts(out, "&amp;"); break;
        case '<': dstr_puts(out, "&lt;"); break;
        case '>': dstr_puts(out, "&gt;"); break;
        case '"': dstr_puts(out, "&quot;"); break;
        case '\'': dstr_puts(out, "&#39;"); break;
        default: dstr_putc(out, *p);
        }
    }
}

static void label(dstr *out, double x, double y, const char *anchor, const char *text) {
    dstr_printf(out, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"%s\">", x, y,
                anchor);
    svg_escape(out, text);
    dstr_puts(out, "</text>\n");
}

void svg_line_chart(dstr *out, const char *title, const svg_series *s, size_t ns,
                    const char *x_first, const char *x_last, int width, int height) {
    double lo = INFINITY, hi = -INFINITY;
    size_t longest = 0;
    for (size_t k = 0; k < ns; k++) {
        if (s[k].n > longest) longest = s[k].n;
        for (size_t i = 0; i < s[k].n; i++)
            if (isfinite(s[k].y[i])) lo = fmin(lo, s[k].y[i]), hi = fmax(hi, s[k].y[i]);
    }
    if (!(lo <= hi)) lo = 0, hi = 1;
    if (hi == lo) lo -= 0.5, hi += 0.5;
    double left = SVG_MARGIN_LEFT, top = SVG_TITLE + SVG_MARGIN;
    double w = width - left - SVG_MARGIN, h = height - top - 2 * SVG_MARGIN;
    dstr_printf(out,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\">\n",
                width, height, width, height);
    dstr_printf(out, "<text x=\"%.1f\" y=\"%d\" font-size=\"14\">", left, SVG_TITLE - 6);
    svg_escape(out, title);
    dstr_puts(out, "</text>\n");
    dstr_printf(out,
                "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
                "stroke=\"#ccc\"/>\n",
                left, top, w, h);
    char num[32];
    snprintf(num, sizeof num, "%.2f", hi);
    label(out, left - 6, top + 4, "end", num);
    snprintf(num, sizeof num, "%.2f", lo);
    label(out, left - 6, top + h, "end", num);
    label(out, left, top + h + 16, "start", x_first);
    label(out, left + w, top + h + 16, "end", x_last);
    for (size_t k = 0; k < ns; k++) {
        dstr_printf(out, "<polyline fill=\"none\" stroke-width=\"1.5\" stroke=\"");
        svg_escape(out, s[k].color);
        dstr_puts(out, "\" points=\"");
        int first = 1;
        for (size_t i = 0; i < s[k].n; i++) {
            if (!isfinite(s[k].y[i])) continue;
            double x = left + (longest > 1 ? w * (double)i / (double)(longest - 1) : w / 2);
            double y = top + h * (hi - s[k].y[i]) / (hi - lo);
            dstr_printf(out, "%s%.1f,%.1f", first ? "" : " ", x, y);
            first = 0;
        }
        dstr_puts(out, "\"><title>");
        svg_escape(out, s[k].label);
        dstr_puts(out, "</title></polyline>\n");
    }
    dstr_puts(out, "</svg>\n");
}
