/**
 * The attack suite for one promise. Never oversell: no unit is sold twice, or outside its drop.
 * Each area is a module of `describe` blocks in ./oversell/, named after the attacks it stops.
 */
import "./oversell/checkout";
import "./oversell/drop-object";
import "./oversell/pos";
import "./oversell/quotes";
