//! Regions: 8-connected areas of one colour, and where each sits in the picture.
//!
//! Pixel-art lines step diagonally, so regions are 8-connected (a 1-px diagonal line is one region,
//! not a row of dots). Each region gets a *depth*: 1 when it touches the background colour or the
//! canvas edge, otherwise one more than its shallowest neighbour. Peeling the picture from the
//! outside in this way draws outlines before the fills they enclose and enclosed shapes after
//! what surrounds them.

use std::collections::VecDeque;

/// One connected area of one colour.
pub(crate) struct Region {
    /// Colour id (index into the plan's colour list).
    pub color: usize,
    /// Cells as `y * size + x`, in raster order.
    pub cells: Vec<u32>,
    /// 1 = touches the background or the edge; larger = further inside other shapes.
    pub depth: u32,
    /// Line-like: few cells have all four neighbours in the region (outlines, strokes, lines).
    pub thin: bool,
}

/// Split the non-background cells into regions. `colors[i]` is the colour id of cell i; `bg` is
/// the background's id. Returns the regions and each cell's region (`u32::MAX` for background).
pub(crate) fn find(colors: &[usize], size: usize, bg: usize) -> (Vec<Region>, Vec<u32>) {
    let n = size * size;
    let mut region_of = vec![u32::MAX; n];
    let mut regions = Vec::new();
    let mut stack = Vec::new();
    for start in 0..n {
        if colors[start] == bg || region_of[start] != u32::MAX {
            continue;
        }
        let id = regions.len() as u32;
        let c = colors[start];
        let mut cells = Vec::new();
        region_of[start] = id;
        stack.push(start);
        while let Some(i) = stack.pop() {
            cells.push(i as u32);
            let (x, y) = ((i % size) as i32, (i / size) as i32);
            for dy in -1..=1 {
                for dx in -1..=1 {
                    let (nx, ny) = (x + dx, y + dy);
                    if nx < 0 || ny < 0 || nx >= size as i32 || ny >= size as i32 {
                        continue;
                    }
                    let j = ny as usize * size + nx as usize;
                    if colors[j] == c && region_of[j] == u32::MAX {
                        region_of[j] = id;
                        stack.push(j);
                    }
                }
            }
        }
        cells.sort_unstable();
        let interior = cells
            .iter()
            .filter(|&&i| {
                let i = i as usize;
                let (x, y) = (i % size, i / size);
                x > 0
                    && y > 0
                    && x + 1 < size
                    && y + 1 < size
                    && [i - 1, i + 1, i - size, i + size].iter().all(|&j| region_of[j] == id)
            })
            .count();
        let thin = cells.len() >= 3 && interior * 4 <= cells.len();
        regions.push(Region { color: c, cells, depth: 0, thin });
    }
    // Depth by breadth-first peeling from the background and the canvas edge.
    let mut queue = VecDeque::new();
    for (r, reg) in regions.iter_mut().enumerate() {
        let touches = reg.cells.iter().any(|&i| {
            let i = i as usize;
            let (x, y) = (i % size, i / size);
            x == 0
                || y == 0
                || x + 1 == size
                || y + 1 == size
                || [i - 1, i + 1, i - size, i + size].iter().any(|&j| colors[j] == bg)
        });
        if touches {
            reg.depth = 1;
            queue.push_back(r);
        }
    }
    while let Some(r) = queue.pop_front() {
        let d = regions[r].depth;
        let mut next = Vec::new();
        for &i in &regions[r].cells {
            let i = i as usize;
            let (x, y) = (i % size, i / size);
            let mut neigh = [usize::MAX; 4];
            if x > 0 {
                neigh[0] = i - 1;
            }
            if x + 1 < size {
                neigh[1] = i + 1;
            }
            if y > 0 {
                neigh[2] = i - size;
            }
            if y + 1 < size {
                neigh[3] = i + size;
            }
            for j in neigh.into_iter().filter(|&j| j != usize::MAX) {
                let o = region_of[j];
                if o != u32::MAX && regions[o as usize].depth == 0 {
                    next.push(o as usize);
                }
            }
        }
        for o in next {
            if regions[o].depth == 0 {
                regions[o].depth = d + 1;
                queue.push_back(o);
            }
        }
    }
    (regions, region_of)
}
