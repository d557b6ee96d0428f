"""Reference renders from real pygame (2.6.1), for tests/pygame_parity.rs.

Draws each document the way the original Draw Stream did (renderer/animations.py: per step, fill
then 1-px outline; pixels via set_at) and writes DOC.png next to DOC.json. Also generates the
random documents (seeded) on first run. Not run by CI: the PNGs are committed.

    pip install pygame==2.6.1 && python3 crates/canvas/tests/pygame/make_refs.py
"""
import json
import os
import random
import sys

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
import pygame  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def rgb(h):
    h = h[1:]
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    return tuple(int(h[i:i + 2], 16) for i in (0, 2, 4))


def draw(surf, step):
    op = step["op"]
    if op == "rect":
        r = pygame.Rect(step["x"], step["y"], step["w"], step["h"])
        if step.get("fill"):
            pygame.draw.rect(surf, rgb(step["fill"]), r)
        if step.get("outline"):
            pygame.draw.rect(surf, rgb(step["outline"]), r, 1)
    elif op == "circle":
        c = (step["cx"], step["cy"])
        if step.get("fill"):
            pygame.draw.circle(surf, rgb(step["fill"]), c, step["r"])
        if step.get("outline"):
            pygame.draw.circle(surf, rgb(step["outline"]), c, step["r"], 1)
    elif op == "line":
        pygame.draw.line(surf, rgb(step["color"]), (step["x1"], step["y1"]),
                         (step["x2"], step["y2"]), step.get("width", 1))
    elif op == "polygon":
        pts = [tuple(p) for p in step["points"]]
        if step.get("fill"):
            pygame.draw.polygon(surf, rgb(step["fill"]), pts)
        if step.get("outline"):
            pygame.draw.polygon(surf, rgb(step["outline"]), pts, 1)
    elif op == "pixels":
        for x, y in step["points"]:
            if 0 <= x < surf.get_width() and 0 <= y < surf.get_height():
                surf.set_at((x, y), rgb(step["color"]))
    elif op == "group":
        for s in step.get("steps", []):
            draw(surf, s)


def render(doc):
    w, h = doc["canvas"]["w"], doc["canvas"]["h"]
    base = pygame.Surface((w, h), pygame.SRCALPHA)
    base.fill(rgb(doc["canvas"].get("bg", "#202020")))
    for step in doc.get("steps") or []:
        layer = pygame.Surface((w, h), pygame.SRCALPHA)
        draw(layer, step)
        base.blit(layer, (0, 0))
    return base


def colour(rng):
    return "#%02X%02X%02X" % (rng.randrange(256), rng.randrange(256), rng.randrange(256))


def random_doc(rng, n):
    w, h = rng.choice([(32, 24), (48, 48), (64, 40), (17, 29)])
    span = lambda: rng.randint(-20, max(w, h) + 20)  # noqa: E731
    steps = []
    for _ in range(n):
        op = rng.choice(["rect", "circle", "line", "polygon", "pixels"])
        maybe = lambda: colour(rng) if rng.random() < 0.7 else None  # noqa: E731
        if op == "rect":
            s = {"op": "rect", "x": span(), "y": span(), "w": rng.randint(-3, 40), "h": rng.randint(-3, 40),
                 "fill": maybe(), "outline": maybe()}
        elif op == "circle":
            s = {"op": "circle", "cx": span(), "cy": span(), "r": rng.randint(0, 25), "fill": maybe(),
                 "outline": maybe()}
        elif op == "line":
            s = {"op": "line", "x1": span(), "y1": span(), "x2": span(), "y2": span(),
                 "width": rng.choice([1, 1, 2, 3, 4, 7]), "color": colour(rng)}
        elif op == "polygon":
            s = {"op": "polygon", "points": [[span(), span()] for _ in range(rng.randint(3, 7))],
                 "fill": maybe(), "outline": maybe()}
        else:
            s = {"op": "pixels", "points": [[span(), span()] for _ in range(rng.randint(1, 30))],
                 "color": colour(rng)}
        steps.append({k: v for k, v in s.items() if v is not None})
    return {"version": "1.0", "caption": "parity", "canvas": {"w": w, "h": h, "bg": colour(rng)}, "steps": steps}


def main():
    pygame.init()
    rng = random.Random(20251125)
    for i in range(40):
        path = os.path.join(HERE, "random_%02d.json" % i)
        if not os.path.exists(path):
            with open(path, "w") as f:
                json.dump(random_doc(rng, rng.randint(3, 12)), f)
    for name in sorted(os.listdir(HERE)):
        if name.endswith(".json"):
            with open(os.path.join(HERE, name)) as f:
                doc = json.load(f)
            pygame.image.save(render(doc), os.path.join(HERE, name[:-5] + ".png"))
            print("rendered", name, file=sys.stderr)


if __name__ == "__main__":
    main()
