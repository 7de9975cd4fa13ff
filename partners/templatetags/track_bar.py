"""The stacked bar of a partner's track record (partner page), drawn as SVG: the segments' places
and widths are SVG attributes, not inline styles, which the Content Security Policy refuses."""

from django import template

register = template.Library()


@register.filter
def bar_segments(counts, total):
    """The non-zero counts as segments of a bar 100 units wide, each with its start (x) and width,
    as strings with a decimal point whatever the locale."""
    segments, x = [], 0.0
    if not total:
        return segments
    for count in counts:
        if count.count:
            width = 100.0 * count.count / total
            segments.append({"value": count.value, "x": f"{x:.2f}", "width": f"{width:.2f}"})
            x += width
    return segments
