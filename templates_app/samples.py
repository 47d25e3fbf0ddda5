"""The two sample templates every demo account starts with."""

BLOG_CARD = {
    "name": "Blog card",
    "width": 1200,
    "height": 630,
    "background": "#0b0d12",
    "elements": [
        {"name": "glow", "type": "ellipse", "x": 760, "y": -220, "width": 700, "height": 700, "fill": "#6d5efc33"},
        {"name": "panel", "type": "rect", "x": 60, "y": 60, "width": 1080, "height": 510,
         "fill": "#161a23", "stroke": "#2a3040", "stroke_width": 2, "border_radius": 28},
        {"name": "accent", "type": "rect", "x": 110, "y": 120, "width": 72, "height": 8,
         "fill": "#6d5efc", "border_radius": 4},
        {"name": "title", "type": "text", "x": 110, "y": 160, "width": 760, "height": 240,
         "text": "Render beautiful social cards from one API call", "font_size": 64, "font_weight": 700,
         "color": "#ffffff", "line_height": 1.15, "max_lines": 3},
        {"name": "subtitle", "type": "text", "x": 110, "y": 430, "width": 760, "height": 80,
         "text": "imagior.dev · templates, typography and credits done right", "font_size": 28,
         "color": "#9aa3b5"},
        {"name": "qr", "type": "qr_code", "x": 910, "y": 330, "width": 180, "height": 180,
         "value": "https://imagior.dev", "color": "#0b0d12", "background_color": "#ffffff"},
    ],
}

QUOTE_SQUARE = {
    "name": "Quote square",
    "width": 1080,
    "height": 1080,
    "background": "#fff7ed",
    "elements": [
        {"name": "band", "type": "rect", "x": 0, "y": 0, "width": 1080, "height": 24, "fill": "#f97316"},
        {"name": "mark", "type": "ellipse", "x": 90, "y": 110, "width": 140, "height": 140, "fill": "#fed7aa"},
        {"name": "quote", "type": "text", "x": 90, "y": 300, "width": 900, "height": 460,
         "text": "Simple beats clever. Measure, then make it fast.", "font_size": 84, "font_weight": 700,
         "color": "#1c1917", "line_height": 1.1, "vertical_align": "middle"},
        {"name": "author", "type": "text", "x": 90, "y": 820, "width": 900, "height": 60,
         "text": "— The Imagior team", "font_size": 36, "color": "#78716c"},
        {"name": "badge", "type": "rect", "x": 830, "y": 930, "width": 160, "height": 60, "fill": "#1c1917",
         "border_radius": 30},
        {"name": "badge-text", "type": "text", "x": 830, "y": 940, "width": 160, "height": 40,
         "text": "DEMO", "font_size": 28, "font_weight": 700, "color": "#ffffff", "align": "center",
         "vertical_align": "middle", "letter_spacing": 4},
    ],
}

SAMPLES = [BLOG_CARD, QUOTE_SQUARE]
