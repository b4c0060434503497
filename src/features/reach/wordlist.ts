/**
 * The 256 words of `weft send` codes (two words: 16 bits, enough against one online guess per
 * code). Short, distinct, easy to say and type.
 */
export const codeWords: readonly string[] = [
  'acorn', 'actor', 'adobe', 'agent', 'alarm', 'album', 'alley', 'amber',
  'anchor', 'angle', 'ankle', 'apple', 'apron', 'arena', 'arrow', 'aspen',
  'atlas', 'attic', 'autumn', 'avocado', 'badge', 'bagel', 'baker', 'bamboo',
  'banjo', 'barrel', 'basil', 'basket', 'beacon', 'beaver', 'bench', 'berry',
  'bicycle', 'biscuit', 'blanket', 'blossom', 'bonnet', 'border', 'bottle', 'bracket',
  'breeze', 'brick', 'bridge', 'bronze', 'bubble', 'bucket', 'buffalo', 'bugle',
  'butter', 'button', 'cabin', 'cactus', 'camel', 'candle', 'canoe', 'canyon',
  'carbon', 'carpet', 'carrot', 'castle', 'cedar', 'cellar', 'cement', 'cherry',
  'chess', 'chimney', 'circle', 'citrus', 'clover', 'cobalt', 'cocoa', 'comet',
  'copper', 'coral', 'cotton', 'cradle', 'crayon', 'cricket', 'crystal', 'cupboard',
  'curtain', 'cushion', 'dagger', 'daisy', 'dancer', 'desert', 'diamond', 'dinner',
  'dolphin', 'donkey', 'dragon', 'drawer', 'dream', 'eagle', 'easel', 'echo',
  'elbow', 'ember', 'emerald', 'engine', 'falcon', 'feather', 'fennel', 'ferry',
  'fiddle', 'finch', 'flannel', 'flute', 'forest', 'fossil', 'fountain', 'fox',
  'galaxy', 'garden', 'garlic', 'garnet', 'ginger', 'glacier', 'globe', 'goose',
  'granite', 'gravel', 'guitar', 'hammer', 'harbor', 'harvest', 'hazel', 'helmet',
  'heron', 'hollow', 'honey', 'horizon', 'igloo', 'indigo', 'island', 'ivory',
  'jacket', 'jasmine', 'jelly', 'jewel', 'jigsaw', 'juniper', 'kayak', 'kettle',
  'kiwi', 'koala', 'ladder', 'lagoon', 'lantern', 'laurel', 'lemon', 'lentil',
  'lily', 'linen', 'lizard', 'lobster', 'locket', 'lotus', 'magnet', 'mango',
  'maple', 'marble', 'meadow', 'melon', 'meteor', 'mint', 'mirror', 'mitten',
  'monsoon', 'mosaic', 'muffin', 'mustard', 'napkin', 'nectar', 'needle', 'nickel',
  'noodle', 'nutmeg', 'oasis', 'olive', 'onion', 'orbit', 'orchid', 'otter',
  'oyster', 'paddle', 'palace', 'panda', 'papaya', 'parcel', 'parrot', 'peach',
  'pebble', 'pepper', 'piano', 'pickle', 'pillow', 'pine', 'planet', 'plum',
  'pocket', 'pollen', 'poppy', 'potato', 'pretzel', 'pumpkin', 'puzzle', 'quartz',
  'quill', 'rabbit', 'radish', 'raisin', 'raven', 'ribbon', 'river', 'rocket',
  'saddle', 'saffron', 'salmon', 'sandal', 'satin', 'scarf', 'shadow', 'shell',
  'silver', 'sketch', 'sled', 'socket', 'spider', 'spruce', 'squash', 'starling',
  'stream', 'sugar', 'summit', 'sunset', 'swan', 'tablet', 'teapot', 'thistle',
  'thunder', 'tiger', 'timber', 'tomato', 'topaz', 'tulip', 'tunnel', 'turnip',
  'umbrella', 'valley', 'velvet', 'violet', 'walnut', 'walrus', 'whale', 'willow'
]
